// Fixed-point USD text to and from integer micro-USD.
#include "util/money.hpp"

#include <charconv>

namespace asg {

std::string format_usd(std::int64_t micro) {
    std::string out;
    std::uint64_t magnitude = micro < 0 ? 0 - static_cast<std::uint64_t>(micro) : static_cast<std::uint64_t>(micro);
    if (micro < 0) out += '-';
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, magnitude / 1000000).ptr);
    char fraction[7] = "000000";
    for (int i = 5, rest = static_cast<int>(magnitude % 1000000); i >= 0; --i, rest /= 10) fraction[i] = static_cast<char>('0' + rest % 10);
    out += '.';
    out.append(fraction, 6);
    return out;
}

std::optional<std::int64_t> parse_usd(std::string_view text) {
    std::size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot), fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (whole.empty() || whole.size() > 12 || fraction.size() > 6 || (dot != std::string_view::npos && fraction.empty())) return std::nullopt;
    std::int64_t micro = 0;
    for (char c : whole) {
        if (c < '0' || c > '9') return std::nullopt;
        micro = micro * 10 + (c - '0');
    }
    std::int64_t scale = 100000;
    micro *= 1000000;
    for (char c : fraction) {
        if (c < '0' || c > '9') return std::nullopt;
        micro += (c - '0') * scale;
        scale /= 10;
    }
    return micro;
}

}  // namespace asg
