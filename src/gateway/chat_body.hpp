// The chat request body: parsed once with simdjson and checked to be a JSON object with each
// member once; every text of it the provider receives (for the guardrails); and the body written
// back for the provider, with redactions in any key or string value.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "util/json_writer.hpp"

namespace asg {

// The body and the members the gateway reads, found in the pass that checks every member is
// there once.
struct ChatBody {
    simdjson::dom::object body;
    std::optional<simdjson::dom::element> model, messages, data_class, max_completion_tokens, max_tokens, n, stream;
    std::optional<simdjson::dom::element> input, max_output_tokens;  // embeddings and responses
};

// Parses raw (in place when `padded`: simdjson's padding of readable bytes follows it) with the
// calling thread's parser; the object lives until that thread's next parse. Returns "" or the
// reason it is not a chat body ("the request body ...").
std::string parse_chat_body(std::string_view raw, bool padded, ChatBody& chat);

// An output limit the gateway adds to the provider's body (the client gave none): a member
// written last, e.g. "max_completion_tokens": 4096.
struct AddedLimit {
    std::string_view name;
    std::int64_t value = 0;
};

// A text of the body the guardrails read: an object key or a string value (NULs and all), and
// the index of the top-level member that holds it.
struct BodyText {
    std::string_view text;
    std::size_t member = 0;
};

// Every key and string value the provider receives, at any depth, in the body's order, except the
// allow-list of members that are not text or not forwarded:
//   - the top-level "model" (the provider gets its own model name instead), "data_class" and
//     "asgard" (Asgard's own, removed before the body is forwarded);
//   - base64 payloads: the values of image_url.url, input_audio.data and file.file_data when
//     they are base64 (optionally as a data: URL "data:<type>;base64,..."); any other value there
//     (an https URL, plain text) is read like every other text.
void collect_body_texts(const ChatBody& chat, std::vector<BodyText>& out);

// What redaction changed: the replacement text of each key or string value (by its address in the
// parsed document), and which top-level members hold one (those are written again; the others are
// copied from the request byte for byte).
struct BodyRedactions {
    StringReplacements strings;
    std::vector<bool> members;  // by top-level member index; shorter means "not changed"

    void replace(const BodyText& text, std::string replacement);
    bool changed(std::size_t member) const { return member < members.size() && members[member]; }
    bool empty() const { return strings.empty(); }
};

// The body the provider gets: the request's members in order, less Asgard's own (data_class,
// asgard); the provider's model name; on streams, stream_options.include_usage forced on; the
// a null max_tokens or max_completion_tokens left out; the
// redacted keys and strings replaced (a redacted key that would repeat another key of its object
// gets "#2", "#3"... appended, so the body stays one value per member). `raw` is the text `body`
// was parsed from: members left as they are are copied from it byte for byte, not written again;
// `added` (an output limit the gateway adds) is written last.
// `stream_usage`: on streams, stream_options.include_usage is forced on (chat completions only:
// the other APIs report usage on their own and refuse the member).
std::string provider_body(std::string_view raw, const ChatBody& chat, std::string_view upstream_model,
                          const BodyRedactions* redactions, const AddedLimit* added = nullptr, bool stream_usage = true);

}  // namespace asg
