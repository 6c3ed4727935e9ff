// The client's view of a chat answer: the alias as "model", the usage chunk only when asked for.
#include "gateway/answer_rewrite.hpp"

#include "util/json_writer.hpp"

namespace asg {

namespace {

constexpr std::size_t kMaxHeldLine = 1024 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view s, std::size_t& i) {
    while (i < s.size() && is_space(s[i])) ++i;
}

// Past the string starting at s[i] == '"'; false when it does not end.
bool skip_string(std::string_view s, std::size_t& i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            ++i;
            return true;
        }
    }
    return false;
}

// Past the value starting at s[i]; false when the text ends first.
bool skip_value(std::string_view s, std::size_t& i) {
    if (i >= s.size()) return false;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') {
                if (!skip_string(s, i)) return false;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') {
                if (--depth == 0) {
                    ++i;
                    return true;
                }
            }
            ++i;
        }
        return false;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
    return true;
}

}  // namespace

bool top_level_member(std::string_view s, std::string_view name, std::size_t& begin, std::size_t& end) {
    std::size_t i = 0;
    skip_space(s, i);
    if (i >= s.size() || s[i] != '{') return false;
    ++i;
    for (;;) {
        skip_space(s, i);
        if (i >= s.size() || s[i] != '"') return false;
        std::size_t key_begin = i + 1;
        if (!skip_string(s, i)) return false;
        std::string_view key = s.substr(key_begin, i - 1 - key_begin);
        skip_space(s, i);
        if (i >= s.size() || s[i] != ':') return false;
        ++i;
        skip_space(s, i);
        std::size_t value_begin = i;
        if (!skip_value(s, i)) return false;
        if (key == name) {
            begin = value_begin;
            end = i;
            return true;
        }
        skip_space(s, i);
        if (i >= s.size() || s[i] != ',') return false;
        ++i;
    }
}

bool append_with_model(std::string_view json, std::string_view alias, std::string& out) {
    std::size_t begin = 0, end = 0;
    if (!top_level_member(json, "model", begin, end)) {
        // A stream event carrying the object: the Responses API's "response", Anthropic's "message".
        std::size_t outer_begin = 0, outer_end = 0;
        bool nested = false;
        for (std::string_view holder : {"response", "message"}) {
            if (top_level_member(json, holder, outer_begin, outer_end) && json[outer_begin] == '{' &&
                top_level_member(json.substr(outer_begin, outer_end - outer_begin), "model", begin, end)) {
                begin += outer_begin;
                end += outer_begin;
                nested = true;
                break;
            }
        }
        if (!nested) return false;
    }
    if (json[begin] != '"') return false;
    out.append(json.data(), begin);
    write_json_string(out, alias);
    out.append(json.data() + end, json.size() - end);
    return true;
}

void StreamRewriter::line(std::string_view text, std::string& out) {
    std::string_view content = text;
    if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (skip_blank_) {
        skip_blank_ = false;
        if (content.empty()) return;
    }
    if (content.compare(0, 5, "data:") != 0) {
        out.append(text);
        return;
    }
    std::size_t at = 5;
    while (at < content.size() && content[at] == ' ') ++at;
    std::string_view json = content.substr(at);
    if (!pass_usage_) {
        // The usage chunk: no choices, a usage object.
        std::size_t b = 0, e = 0, ub = 0, ue = 0;
        if (top_level_member(json, "choices", b, e) && top_level_member(json, "usage", ub, ue) && json[ub] == '{') {
            std::size_t i = b + 1;
            skip_space(json, i);
            if (json[b] == '[' && i < json.size() && json[i] == ']') {
                skip_blank_ = true;
                return;
            }
        }
    }
    if (alias_.empty()) {
        out.append(text);
        return;
    }
    out.append(text.data(), at);
    if (!append_with_model(json, alias_, out)) out.append(json);
    out.append(text.substr(at + json.size()));
}

void StreamRewriter::feed(const char* data, std::size_t len, std::string& out) {
    std::string_view in(data, len);
    while (!in.empty()) {
        std::size_t nl = in.find('\n');
        std::size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
        if (passing_long_) {
            out.append(in.substr(0, take));
            if (nl != std::string_view::npos) passing_long_ = false;
        } else if (nl == std::string_view::npos) {
            if (partial_.size() + take > kMaxHeldLine) {
                out += partial_;  // too long to hold: it goes on as it came
                out.append(in);
                partial_.clear();
                passing_long_ = true;
            } else {
                partial_.append(in);
            }
        } else if (partial_.empty()) {
            line(in.substr(0, take), out);
        } else {
            partial_.append(in.substr(0, take));
            line(partial_, out);
            partial_.clear();
        }
        in.remove_prefix(take);
    }
}

void StreamRewriter::finish(std::string& out) {
    if (!partial_.empty()) line(partial_, out);
    partial_.clear();
}

}  // namespace asg
