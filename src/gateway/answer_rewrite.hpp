// What the client gets of a provider's chat answer: its top-level "model" names the alias the
// client asked for (not the provider's model), and a stream's usage chunk, which the gateway asks
// every provider for (stream_options.include_usage), is passed on only when the client asked too.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace asg {

// Appends `json` to out with its top-level "model" string replaced by `alias` (or, when it has
// none, the "model" of its top-level "response" or "message" object: the Responses API's and
// Anthropic's stream events); false (out untouched) when it has no string "model" to replace.
bool append_with_model(std::string_view json, std::string_view alias, std::string& out);

// Rewrites a chat stream (Server-Sent Events) line by line as it arrives.
class StreamRewriter {
public:
    void start(std::string alias, bool pass_usage_chunk) {
        alias_ = std::move(alias);
        pass_usage_ = pass_usage_chunk;
    }
    // Appends to out what the client gets of these bytes: whole lines; a partial line waits for
    // the rest (a line over 1 MiB is passed on as it is).
    void feed(const char* data, std::size_t len, std::string& out);
    // The end of the stream: what is left of a last line without its newline.
    void finish(std::string& out);

private:
    void line(std::string_view text, std::string& out);  // one line with its "\n" (if any)

    std::string alias_, partial_;
    bool pass_usage_ = true;
    bool skip_blank_ = false;  // the dropped event's blank line is dropped too
    bool passing_long_ = false;  // within a line too long to hold
};

}  // namespace asg
