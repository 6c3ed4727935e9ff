// Hand-written scanners (linear, no backtracking) for the built-in detectors; POSIX regex for
// operator patterns.
#include "gateway/guardrails.hpp"

#include <algorithm>
#include <cctype>

namespace asg {

namespace {

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }  // ASCII, not the locale's
bool is_base62(char c) { return is_alnum(c); }

std::size_t run_of(std::string_view s, std::size_t at, bool (*pred)(char)) {
    std::size_t n = 0;
    while (at + n < s.size() && pred(s[at + n])) ++n;
    return n;
}

bool key_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }
bool upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

void scan_secrets(std::string_view s, std::vector<Finding>& out) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c != 'a' && c != 's' && c != 'A' && c != '-') continue;  // no detector starts otherwise
        bool boundary = i == 0 || !key_char(s[i - 1]);
        if (!boundary) continue;
        if (s.compare(i, 4, "asg_") == 0) {
            std::size_t start = i + 4 + (s.compare(i, 8, "asg_pat_") == 0 ? 4 : 0);
            std::size_t n = run_of(s, start, is_base62);
            if (n >= 36) out.push_back({"secrets", "an Asgard credential", i, start + n});
        } else if (s.compare(i, 3, "sk-") == 0) {
            std::size_t n = run_of(s, i + 3, key_char);
            if (n >= 20) out.push_back({"secrets", "an API secret key (sk-...)", i, i + 3 + n});
        } else if ((s.compare(i, 4, "AKIA") == 0 || s.compare(i, 4, "ASIA") == 0)) {
            std::size_t n = run_of(s, i + 4, upper_or_digit);
            if (n == 16) out.push_back({"secrets", "an AWS access key", i, i + 20});
        } else if (s.compare(i, 11, "-----BEGIN ") == 0) {
            std::size_t header_end = s.find("-----", i + 11);
            if (header_end != std::string_view::npos && header_end - i < 80 &&
                s.compare(header_end - 11, 11, "PRIVATE KEY") == 0) {
                // To the end of the footer's dashes; without a complete footer, to the end of the text.
                std::size_t footer = s.find("-----END ", header_end);
                std::size_t close = footer == std::string_view::npos ? footer : s.find("-----", footer + 9);
                std::size_t end = close == std::string_view::npos ? s.size() : close + 5;
                out.push_back({"secrets", "a private key", i, end});
                i = end - 1;
            }
        }
    }
}

bool email_local(char c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

void scan_emails(std::string_view s, std::vector<Finding>& out) {
    for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
        std::size_t begin = at;
        while (begin > 0 && email_local(s[begin - 1])) --begin;
        std::size_t end = at + 1;
        while (end < s.size() && domain_char(s[end])) ++end;
        while (end > at + 1 && (s[end - 1] == '.' || s[end - 1] == '-')) --end;
        std::string_view domain = s.substr(at + 1, end - at - 1);
        std::size_t dot = domain.rfind('.');
        bool ok = begin < at && dot != std::string_view::npos && dot > 0 && domain.size() - dot - 1 >= 2;
        if (ok) out.push_back({"email", "an e-mail address", begin, end});
    }
}

// A run of digits separated by single spaces or dashes; any prefix of 13 to 19 digits that ends
// at a group boundary and passes Luhn is a card number (so "4111 1111 1111 1111 12/26" is one).
void scan_cards(std::string_view s, std::vector<Finding>& out) {
    auto digit = [&](std::size_t k) { return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])); };
    std::size_t i = 0;
    while (i < s.size()) {
        if (!digit(i) || (i > 0 && is_alnum(s[i - 1]))) {
            ++i;
            continue;
        }
        char digits[40];
        std::size_t ends[40];  // position after each digit
        std::size_t count = 0, j = i;
        while (j < s.size() && count < 40) {
            if (digit(j)) {
                digits[count] = s[j];
                ends[count++] = j + 1;
            } else if (!((s[j] == ' ' || s[j] == '-') && digit(j + 1))) {
                break;
            }
            ++j;
        }
        bool found = false;
        for (std::size_t n = std::min<std::size_t>(19, count); n >= 13; --n) {
            std::size_t end = ends[n - 1];
            bool boundary = end >= s.size() || !is_alnum(s[end]);
            if (boundary && luhn_valid(std::string_view(digits, n))) {
                out.push_back({"card", "a payment card number", i, end});
                i = end;
                found = true;
                break;
            }
        }
        if (!found) i = j > i ? j : i + 1;
    }
}

}  // namespace

bool luhn_valid(std::string_view digits) {
    int sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = *it - '0';
        if (twice) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        twice = !twice;
    }
    return !digits.empty() && sum % 10 == 0;
}

std::vector<Finding> scan_text(std::string_view view, const std::vector<CompiledPattern>& patterns) {
    std::vector<Finding> out;
    scan_secrets(view, out);
    scan_emails(view, out);
    scan_cards(view, out);
    if (patterns.empty()) return out;
    std::string text(view);  // regexec reads up to a NUL
    for (const auto& p : patterns) {
        // Every match, so that a redaction removes just the matching text.
        std::size_t at = 0;
        regmatch_t match;
        while (at <= text.size() && regexec(p.regex.get(), text.c_str() + at, 1, &match, at ? REG_NOTBOL : 0) == 0) {
            std::size_t begin = at + static_cast<std::size_t>(match.rm_so), end = at + static_cast<std::size_t>(match.rm_eo);
            out.push_back({"patterns", "text matching pattern " + p.name, begin, end});
            at = end > begin ? end : end + 1;
        }
    }
    return out;
}

std::string redact(std::string_view text, const std::vector<Finding>& findings) {
    std::vector<Finding> sorted = findings;
    std::sort(sorted.begin(), sorted.end(), [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
    std::string out;
    std::size_t at = 0;
    for (const auto& f : sorted) {
        if (f.begin < at) continue;  // overlapping finding
        out.append(text.substr(at, f.begin - at));
        out += "[REDACTED:" + f.detector + "]";
        at = f.end;
    }
    out.append(text.substr(at));
    return out;
}

}  // namespace asg
