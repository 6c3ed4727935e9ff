// Guardrail detectors over prompt text: secrets (Asgard keys, sk- keys, AWS keys, private keys),
// e-mail addresses, card numbers (Luhn) and operator patterns; each finding can be redacted.
#pragma once
#include <regex.h>

#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_snapshot.hpp"

namespace asg {

struct Finding {
    std::string detector;  // secrets, email, card, patterns
    std::string kind;      // with its article, e.g. "an AWS access key"; for patterns "pattern NAME"
    std::size_t begin = 0, end = 0;
};

std::vector<Finding> scan_text(std::string_view text, const std::vector<CompiledPattern>& patterns);
bool luhn_valid(std::string_view digits);
// Replaces each finding of the given detectors with "[REDACTED:<detector>]".
std::string redact(std::string_view text, const std::vector<Finding>& findings);

}  // namespace asg
