// The client's view of a chat answer: the alias as "model", the usage chunk only when asked for.
#include "gateway/answer_rewrite.hpp"

#include "util/json_writer.hpp"
#include "util/raw_json.hpp"

namespace asg {

namespace {

constexpr std::size_t kMaxHeldLine = 1024 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The "model" to replace, given the text's top-level members (read once by the caller).
std::string_view model_of(const std::vector<RawMember>& top) {
    std::string_view model = find_raw_member(top, "model");
    if (!model.empty()) return model;
    // A stream event carrying the object: the Responses API's "response", Anthropic's "message".
    std::string_view holder = find_raw_member(top, "response");
    if (holder.empty()) holder = find_raw_member(top, "message");
    if (holder.empty() || !raw_member(holder, "model", model)) return {};
    return model;
}

// Appends json with `model` (a view into it) replaced by the alias; false when it is no string.
bool append_replaced(std::string_view json, std::string_view model, std::string_view alias, std::string& out) {
    if (model.size() < 2 || model.front() != '"' || model.back() != '"') return false;
    std::size_t begin = static_cast<std::size_t>(model.data() - json.data());
    out.append(json.data(), begin);
    write_json_string(out, alias);
    out.append(json.substr(begin + model.size()));
    return true;
}

}  // namespace

bool append_with_model(std::string_view json, std::string_view alias, std::string& out) {
    thread_local std::vector<RawMember> top;
    return raw_members(json, top) && append_replaced(json, model_of(top), alias, out);
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
    // The event's members, read once for both questions.
    thread_local std::vector<RawMember> top;
    if (!raw_members(json, top)) {
        out.append(text);  // not an object ([DONE], or not JSON): as it came
        return;
    }
    if (!pass_usage_) {
        // The usage chunk: no choices, a usage object.
        std::string_view choices = find_raw_member(top, "choices"), usage = find_raw_member(top, "usage");
        if (!usage.empty() && usage.front() == '{' && choices.size() >= 2 && choices.front() == '[') {
            std::size_t i = 1;
            while (i < choices.size() && is_space(choices[i])) ++i;
            if (choices[i] == ']') {
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
    if (!append_replaced(json, model_of(top), alias_, out)) out.append(json);
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
