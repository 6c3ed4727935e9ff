// Money as people and agents read it: integer micro-USD inside, fixed-point decimal text outside
// (never a binary float: 0.000093, not 9.2999999999999997e-05).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asg {

// Micro-USD as USD with six decimals: 93 -> "0.000093", -1500000 -> "-1.500000".
std::string format_usd(std::int64_t micro);

// A non-negative decimal amount of USD ("250", "99.5", "0.000093") as micro-USD, exactly; nullopt
// when it is not one, has more than six decimals, or is over a trillion USD.
std::optional<std::int64_t> parse_usd(std::string_view text);

}  // namespace asg
