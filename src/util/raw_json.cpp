// Reading a JSON object's top-level members from its text.
#include "util/raw_json.hpp"

#include <algorithm>
#include <cstring>

namespace asg {

namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) {
    while (i < s.size() && json_space(s[i])) ++i;
    return i;
}

// Just past the string whose opening quote is at `i`: byte by byte for the first few (keys and
// short values), then with memchr (long texts).
std::size_t string_end(std::string_view s, std::size_t i) {
    std::size_t j = i + 1;
    for (std::size_t short_end = std::min(s.size(), i + 24); j < short_end; ++j) {
        if (s[j] == '\\') {
            ++j;
        } else if (s[j] == '"') {
            return j + 1;
        }
    }
    // Past the first bytes: each quote's escaping is read from the backslashes just before it.
    for (std::size_t from = j; from < s.size();) {
        const void* quote = std::memchr(s.data() + from, '"', s.size() - from);
        if (quote == nullptr) break;
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(quote) - s.data());
        std::size_t backslashes = 0;
        while (at - backslashes > i + 1 && s[at - backslashes - 1] == '\\') ++backslashes;
        if (backslashes % 2 == 0) return at + 1;
        from = at + 1;
    }
    return s.size();
}

// Just past the value that starts at `i`.
std::size_t value_end(std::string_view s, std::size_t i) {
    if (i >= s.size()) return i;
    if (s[i] == '"') return string_end(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') {
                i = string_end(s, i);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
        return i;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !json_space(s[i])) ++i;
    return i;
}

}  // namespace

bool raw_members(std::string_view s, std::vector<RawMember>& out) {
    out.clear();
    std::size_t i = skip_space(s, 0);
    if (i >= s.size() || s[i] != '{') return false;
    i = skip_space(s, i + 1);
    if (i < s.size() && s[i] == '}') return true;
    while (i < s.size() && s[i] == '"') {
        std::size_t key_end = string_end(s, i);
        RawMember member{s.substr(i, key_end - i), {}};
        i = skip_space(s, key_end);
        if (i >= s.size() || s[i] != ':') return false;
        i = skip_space(s, i + 1);
        std::size_t end = value_end(s, i);
        member.value = s.substr(i, end - i);
        out.push_back(member);
        i = skip_space(s, end);
        if (i < s.size() && s[i] == ',') {
            i = skip_space(s, i + 1);
            continue;
        }
        return i < s.size() && s[i] == '}';
    }
    return false;
}

std::string_view find_raw_member(const std::vector<RawMember>& members, std::string_view name) {
    for (const RawMember& m : members)
        if (m.key.size() == name.size() + 2 && m.key.substr(1, name.size()) == name) return m.value;
    return {};
}

bool raw_member(std::string_view s, std::string_view name, std::string_view& value) {
    thread_local std::vector<RawMember> members;
    if (!raw_members(s, members)) return false;
    value = find_raw_member(members, name);
    return !value.empty();
}

}  // namespace asg
