// The chat request body: parsed once with simdjson and checked to be a JSON object with each
// member once; the texts a provider would read (for the guardrails); and the body written back
// for the provider.
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
};

// Parses raw (in place when `padded`: simdjson's padding of readable bytes follows it) with the
// calling thread's parser; the object lives until that thread's next parse. Returns "" or the
// reason it is not a chat body ("the request body ...").
std::string parse_chat_body(std::string_view raw, bool padded, ChatBody& chat);

// Every string of a message the provider reads (content, content parts, tool call arguments,
// names), leaving out "role" and "type" values.
void collect_message_texts(simdjson::dom::element message, std::vector<std::string_view>& out);

// An output limit the gateway adds to the provider's body (the client gave none): a member
// written last, e.g. "max_completion_tokens": 4096.
struct AddedLimit {
    std::string_view name;
    std::int64_t value = 0;
};

// The body the provider gets: the request's members in order, less Asgard's own (data_class,
// asgard) and a null max_tokens or max_completion_tokens; the provider's model name; on streams,
// stream_options.include_usage forced on; the redacted texts replaced; `added` last. `raw` is the
// text `body` was parsed from: members left as they are are copied from it byte for byte, not
// written again.
std::string provider_body(std::string_view raw, const ChatBody& chat, std::string_view upstream_model,
                          const StringReplacements* redactions, const AddedLimit* added = nullptr);

}  // namespace asg
