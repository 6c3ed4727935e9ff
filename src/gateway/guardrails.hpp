// Guardrail detectors over the texts of a request body: secrets (Asgard keys, sk- keys, AWS keys,
// private keys), e-mail addresses, card numbers (Luhn) and operator patterns (RE2); each finding
// blocks the call or is redacted, per the data class's rule.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/chat_body.hpp"
#include "gateway/gateway_snapshot.hpp"

namespace asg {

struct Finding {
    std::string detector;  // secrets, email, card, patterns
    std::string kind;      // with its article, e.g. "an AWS access key"; for patterns "text matching pattern NAME"
    std::size_t begin = 0, end = 0;
};

// Every finding of the built-in detectors and of the patterns in text (NULs are text like any
// other byte). Each pattern's matches are all reported (a redaction removes just them), within
// the budget scan_body describes.
std::vector<Finding> scan_text(std::string_view text, const std::vector<CompiledPattern>& patterns);
bool luhn_valid(std::string_view digits);
// Replaces each finding with "[REDACTED:<detector>]".
std::string redact(std::string_view text, const std::vector<Finding>& findings);

enum class GuardrailAction { allow, redact, block };
GuardrailAction guardrail_action_named(std::string_view name);  // block unless "allow" or "redact"

// What the data class of a call does with each detector's findings.
struct GuardrailRules {
    GuardrailAction secrets = GuardrailAction::block, email = GuardrailAction::block, card = GuardrailAction::block,
                    patterns = GuardrailAction::block;
    GuardrailAction of(std::string_view detector) const;
};
GuardrailRules guardrail_rules(const GatewaySnapshot& snapshot, const std::string& data_class);

// The guardrails' verdict on a body.
struct BodyScan {
    std::optional<Finding> blocked;           // the first finding whose rule is block
    const CompiledPattern* broken = nullptr;  // a stored pattern RE2 refused, when patterns are not allowed
    BodyRedactions redactions;                // what the provider gets instead, when nothing blocked
    std::vector<std::string> redacted;        // the detectors that redacted something
    std::size_t scanned_bytes = 0;            // the bytes of text read (keys and strings)
};

// Runs every detector whose rule is not allow over every text of the body (collect_body_texts).
// The cost is linear in the body: each detector reads each text once; a pattern to redact is
// searched again from each match, and once the searches of a request have read more than
// kPatternRedactBudget bytes (plus 16 times the texts' size), what is left of a text after a
// match is redacted whole instead of being searched further.
void scan_body(const ChatBody& chat, const std::vector<CompiledPattern>& patterns, const GuardrailRules& rules, BodyScan& out);
constexpr std::size_t kPatternRedactBudget = 1 << 20;

}  // namespace asg
