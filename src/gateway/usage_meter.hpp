// Reads token usage from a provider's answer as it streams past: the JSON body's "usage", or the
// SSE chunk carrying it (stream_options.include_usage); counts streamed content as a fallback.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "gateway/gateway_route.hpp"

namespace asg {

// Reads each API family's usage: chat's and embeddings' prompt_tokens/completion_tokens; the
// Responses API's input_tokens/output_tokens (the response.completed event's "response" when
// streaming); Anthropic's input_tokens (cache reads and writes included) and output_tokens
// (message_start's "message" gives the input, message_delta the final output when streaming).
class UsageMeter {
public:
    void expect(Route route) { output_expected_ = route != Route::embeddings && route != Route::count_tokens; }
    void start(int http_status, std::string_view content_type);
    void feed(const char* data, std::size_t len);
    void finish();  // once; later calls do nothing

    bool has_usage() const { return has_usage_; }
    std::int64_t prompt_tokens() const { return prompt_tokens_; }
    std::int64_t completion_tokens() const { return completion_tokens_; }
    std::int64_t streamed_chars() const { return streamed_chars_; }
    // A whole (non-streamed, 2xx) answer that is not a JSON object, or over the size the meter
    // reads (overflowed()).
    bool malformed() const { return malformed_; }
    bool overflowed() const { return overflow_; }
    bool streamed() const { return sse_; }
    // After finish(): the whole non-streamed answer read ("" when streamed or over the size).
    std::string_view answer() const { return sse_ || overflow_ ? std::string_view() : std::string_view(buffer_); }
    int http_status() const { return status_; }

private:
    void take_usage(std::string& buffer, std::size_t at);
    void read_usage(simdjson::dom::object usage, bool input_only);
    void sse_line(std::string& line);

    int status_ = 0;
    bool sse_ = false, has_usage_ = false, malformed_ = false, overflow_ = false, finished_ = false;
    bool output_expected_ = true, has_prompt_ = false, has_completion_ = false;
    std::string buffer_;
    std::int64_t prompt_tokens_ = 0, completion_tokens_ = 0, streamed_chars_ = 0;
};

}  // namespace asg
