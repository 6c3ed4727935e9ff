// The output limit and the input estimate of a gateway call.
#include "gateway/reservation_amount.hpp"

#include <cstring>

namespace asg {

namespace dom = simdjson::dom;

namespace {

// A positive integer member, or an error naming it: true with `out` set; `absent` when missing
// or null.
bool read_count(const std::optional<dom::element>& member, std::int64_t& out, bool& absent) {
    absent = !member || member->is_null();
    if (absent) return true;
    if (!member->is_int64()) return false;  // a double (1e6, 100.0), a string, a bool, above 2^63
    out = member->get_int64().value_unsafe();
    return out > 0;
}

}  // namespace

LimitError read_output_limit(const ChatBody& chat, std::int64_t model_cap, std::string_view model_alias,
                             OutputLimit& limit) {
    std::int64_t completion = 0, tokens = 0;
    bool no_completion = true, no_tokens = true;
    if (!read_count(chat.max_completion_tokens, completion, no_completion))
        return {"max_completion_tokens must be a positive integer", "invalid_max_tokens"};
    if (!read_count(chat.max_tokens, tokens, no_tokens))
        return {"max_tokens must be a positive integer", "invalid_max_tokens"};
    if (!no_completion && !no_tokens)
        return {"give max_tokens or max_completion_tokens, not both", "invalid_max_tokens"};
    std::int64_t choices = 1;
    bool no_n = true;
    if (!read_count(chat.n, choices, no_n) || choices > kMaxChoices)
        return {"n must be an integer from 1 to " + std::to_string(kMaxChoices), "invalid_n"};
    if (no_n) choices = 1;
    limit.choices = choices;
    limit.forced_member = {};
    if (no_completion && no_tokens) {
        // No limit given: the model's cap is reserved, and the provider is told so. Under the
        // current name: OpenAI's reasoning models (o-series, gpt-5) refuse max_tokens.
        // A null member is left out of the provider's body.
        limit.per_choice = model_cap;
        limit.forced_member = "max_completion_tokens";
        return {};
    }
    const char* name = no_tokens ? "max_completion_tokens" : "max_tokens";
    std::int64_t asked = no_tokens ? completion : tokens;
    if (asked > model_cap)
        return {std::string(name) + " is too large: " + std::to_string(asked) + "; model " + std::string(model_alias) +
                    " produces at most " + std::to_string(model_cap) + " output tokens per choice",
                "max_tokens_too_large"};
    limit.per_choice = asked;
    return {};
}

LimitError read_route_limit(Route route, const ChatBody& chat, std::int64_t model_cap, std::string_view model_alias,
                            OutputLimit& limit) {
    limit = OutputLimit{};
    const RouteInfo& info = route_info(route);
    if (route == Route::chat) return read_output_limit(chat, model_cap, model_alias, limit);
    if (info.limit_member.empty()) {
        limit.per_choice = 0;  // no output: only the input is charged
        return {};
    }
    const std::optional<dom::element>& member = route == Route::responses ? chat.max_output_tokens : chat.max_tokens;
    std::int64_t asked = 0;
    bool absent = true;
    std::string name(info.limit_member);
    if (!read_count(member, asked, absent)) return {name + " must be a positive integer", "invalid_max_tokens"};
    if (absent) {
        limit.per_choice = model_cap;
        limit.forced_member = info.limit_member;
        return {};
    }
    if (asked > model_cap)
        return {name + " is too large: " + std::to_string(asked) + "; model " + std::string(model_alias) + " produces at most " +
                    std::to_string(model_cap) + " output tokens",
                "max_tokens_too_large"};
    limit.per_choice = asked;
    return {};
}

std::int64_t estimate_input_tokens(std::string_view body) {
    // Two fast passes: the bytes of non-ASCII characters (eight at a time: their high bits summed
    // by one multiplication), then the escapes (memchr).
    std::int64_t non_ascii = 0, u_escapes = 0;
    std::size_t i = 0;
    for (; i + 8 <= body.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, body.data() + i, 8);
        non_ascii += static_cast<std::int64_t>((((word >> 7) & 0x0101010101010101ULL) * 0x0101010101010101ULL) >> 56);
    }
    for (; i < body.size(); ++i) non_ascii += static_cast<unsigned char>(body[i]) >> 7;
    for (std::size_t from = 0; from < body.size();) {
        const void* hit = std::memchr(body.data() + from, '\\', body.size() - from);
        if (hit == nullptr) break;
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - body.data());
        bool u = at + 1 < body.size() && body[at + 1] == 'u';
        u_escapes += u;
        from = at + (u ? 6 : 2);  // \uXXXX, or \n, \", \\ ...
    }
    std::int64_t ascii = static_cast<std::int64_t>(body.size()) - non_ascii - 6 * u_escapes;
    if (ascii < 0) ascii = 0;  // a text cut inside an escape
    return non_ascii + 3 * u_escapes + (ascii + 2) / 3;
}

}  // namespace asg
