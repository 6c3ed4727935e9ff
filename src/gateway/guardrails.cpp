// Hand-written scanners (linear, no backtracking) for the built-in detectors; RE2 (linear time,
// over the text's bytes with their length, so a NUL hides nothing) for operator patterns.
#include "gateway/guardrails.hpp"

#include <re2/re2.h>

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
// at a group boundary, is made of groups of at least 3 digits (as cards are written: 4-4-4-4,
// 4-6-5, 4-4-4-4-3, or one block) and passes Luhn is a card number (so "4111 1111 1111 1111 12/26"
// is one, and dates such as "2026-12-01 2026-12-03" or lists of small numbers are not).
void scan_cards(std::string_view s, std::vector<Finding>& out) {
    auto digit = [&](std::size_t k) { return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])); };
    std::size_t i = 0;
    while (i < s.size()) {
        if (!digit(i) || (i > 0 && is_alnum(s[i - 1]))) {
            ++i;
            continue;
        }
        char digits[40];
        std::size_t ends[40];   // position after each digit
        std::size_t group[40];  // the length of the group each digit ends, as far as it goes
        std::size_t count = 0, j = i, run = 0;
        while (j < s.size() && count < 40) {
            if (digit(j)) {
                digits[count] = s[j];
                group[count] = ++run;
                ends[count++] = j + 1;
            } else if ((s[j] == ' ' || s[j] == '-') && digit(j + 1)) {
                run = 0;
            } else {
                break;
            }
            ++j;
        }
        // The shortest group among the first n digits' complete groups.
        auto groups_wide_enough = [&](std::size_t n) {
            for (std::size_t k = 0; k < n; ++k) {
                bool group_ends = k + 1 == n || group[k + 1] == 1;
                if (group_ends && group[k] < 3) return false;
            }
            return true;
        };
        bool found = false;
        for (std::size_t n = std::min<std::size_t>(19, count); n >= 13; --n) {
            std::size_t end = ends[n - 1];
            bool boundary = end >= s.size() || !is_alnum(s[end]);
            if (boundary && groups_wide_enough(n) && luhn_valid(std::string_view(digits, n))) {
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

namespace {

void scan_builtin(std::string_view text, const GuardrailRules& rules, std::vector<Finding>& out) {
    if (rules.secrets != GuardrailAction::allow) scan_secrets(text, out);
    if (rules.email != GuardrailAction::allow) scan_emails(text, out);
    if (rules.card != GuardrailAction::allow) scan_cards(text, out);
}

bool search(const RE2& re, std::string_view text, std::size_t from, re2::StringPiece* match) {
    return re.Match(re2::StringPiece(text.data(), text.size()), from, text.size(), RE2::UNANCHORED, match, match ? 1 : 0);
}

// The pattern's findings in text: with `every` false, one finding over the whole text when it
// matches anywhere (one linear pass; enough to block); else each match, searching again from
// the end of the last one while `budget` (bytes the searches may still read; nullptr: no bound)
// lasts, then what is left after the last match as one finding when the pattern still matches
// in it.
void find_pattern(std::string_view text, const CompiledPattern& p, bool every, std::size_t* budget, std::vector<Finding>& out) {
    const RE2& re = *p.regex;
    std::string kind = "text matching pattern " + p.name;
    if (!search(re, text, 0, nullptr)) return;
    if (!every) {
        out.push_back({"patterns", kind, 0, text.size()});
        return;
    }
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t cost = text.size() - at;
        if (budget != nullptr && *budget < cost) {
            if (search(re, text, at, nullptr)) out.push_back({"patterns", kind, at, text.size()});
            *budget = 0;
            return;
        }
        if (budget != nullptr) *budget -= cost;
        re2::StringPiece match;
        if (!search(re, text, at, &match)) return;
        std::size_t begin = static_cast<std::size_t>(match.data() - text.data()), end = begin + match.size();
        out.push_back({"patterns", kind, begin, end});
        at = end > begin ? end : end + 1;
    }
}

}  // namespace

std::vector<Finding> scan_text(std::string_view text, const std::vector<CompiledPattern>& patterns) {
    std::vector<Finding> out;
    scan_builtin(text, GuardrailRules{}, out);
    std::size_t budget = kPatternRedactBudget + 16 * text.size();
    for (const auto& p : patterns)
        if (p.regex) find_pattern(text, p, true, &budget, out);
    return out;
}

GuardrailAction guardrail_action_named(std::string_view name) {
    if (name == "allow") return GuardrailAction::allow;
    if (name == "redact") return GuardrailAction::redact;
    return GuardrailAction::block;
}

GuardrailAction GuardrailRules::of(std::string_view detector) const {
    if (detector == "secrets") return secrets;
    if (detector == "email") return email;
    if (detector == "card") return card;
    return patterns;
}

GuardrailRules guardrail_rules(const GatewaySnapshot& s, const std::string& data_class) {
    auto rule = [&](const char* detector) { return guardrail_action_named(s.guardrail_action(data_class, detector)); };
    return {rule("secrets"), rule("email"), rule("card"), rule("patterns")};
}

void scan_body(const ChatBody& chat, const std::vector<CompiledPattern>& patterns, const GuardrailRules& rules, BodyScan& out) {
    thread_local std::vector<BodyText> texts;
    texts.clear();
    collect_body_texts(chat, texts);
    bool use_patterns = rules.patterns != GuardrailAction::allow && !patterns.empty();
    if (use_patterns) {
        for (const auto& p : patterns) {
            if (p.regex) continue;
            out.broken = &p;  // refusing is safer than forwarding what it was meant to stop
            return;
        }
    }
    for (const BodyText& t : texts) out.scanned_bytes += t.text.size();
    std::size_t budget = kPatternRedactBudget + 16 * out.scanned_bytes;
    std::vector<Finding> findings, to_redact;
    for (const BodyText& t : texts) {
        findings.clear();
        scan_builtin(t.text, rules, findings);
        if (use_patterns)
            for (const auto& p : patterns) find_pattern(t.text, p, rules.patterns == GuardrailAction::redact, &budget, findings);
        if (findings.empty()) continue;
        to_redact.clear();
        for (auto& f : findings) {
            GuardrailAction action = rules.of(f.detector);
            if (action == GuardrailAction::block) {
                out.blocked = std::move(f);
                return;
            }
            if (action != GuardrailAction::redact) continue;
            if (std::find(out.redacted.begin(), out.redacted.end(), f.detector) == out.redacted.end()) out.redacted.push_back(f.detector);
            to_redact.push_back(std::move(f));
        }
        if (!to_redact.empty()) out.redactions.replace(t, redact(t.text, to_redact));
    }
}

std::string redact(std::string_view text, const std::vector<Finding>& findings) {
    std::vector<Finding> sorted = findings;
    std::sort(sorted.begin(), sorted.end(), [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
    std::string out;
    std::size_t at = 0;
    for (const auto& f : sorted) {
        if (f.begin < at) {  // overlaps what is replaced already: replace to its end too
            at = std::max(at, f.end);
            continue;
        }
        out.append(text.substr(at, f.begin - at));
        out += "[REDACTED:" + f.detector + "]";
        at = f.end;
    }
    out.append(text.substr(at));
    return out;
}

}  // namespace asg
