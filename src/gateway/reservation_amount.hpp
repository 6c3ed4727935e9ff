// What one gateway call reserves: the output tokens it may produce (max_tokens or
// max_completion_tokens, within the model's cap, times n) and an upper estimate of its input
// tokens from the body exactly as the provider gets it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/chat_body.hpp"
#include "gateway/gateway_route.hpp"

namespace asg {

// The output limit the provider is sent, and the reservation it implies.
struct OutputLimit {
    std::int64_t per_choice = 0;  // the max_tokens the provider gets
    std::int64_t choices = 1;     // n
    // The member to add to the provider's body when the client gave no limit (or null, which is
    // left out): its name; empty when the client's own member already says per_choice.
    std::string_view forced_member;
    std::int64_t total() const { return per_choice * choices; }
};

// A refusal of the body's limits: 400 with this message and code; empty message when accepted.
struct LimitError {
    std::string message, code;
};

constexpr std::int64_t kMaxChoices = 128;  // OpenAI's own bound on n

// Reads max_tokens / max_completion_tokens (a positive integer, at most `model_cap`; one of the
// two; null or absent: the cap, sent as max_completion_tokens) and n (1..128, null or absent: 1).
LimitError read_output_limit(const ChatBody& chat, std::int64_t model_cap, std::string_view model_alias,
                             OutputLimit& limit);

// The output limit of a call on any route: chat as read_output_limit; responses' max_output_tokens
// and messages' max_tokens (a positive integer at most `model_cap`; absent or null: the cap, added
// under that name); embeddings and count_tokens produce no output.
LimitError read_route_limit(Route route, const ChatBody& chat, std::int64_t model_cap, std::string_view model_alias,
                            OutputLimit& limit);

// An upper estimate of the input tokens of `provider_body` (the JSON text the provider receives):
// a third of a token per ASCII byte, one token per byte of a non-ASCII character (no byte-level
// BPE tokenizer makes more than one token of a byte), three per \uXXXX escape (at most three
// UTF-8 bytes per UTF-16 unit).
std::int64_t estimate_input_tokens(std::string_view provider_body);

}  // namespace asg
