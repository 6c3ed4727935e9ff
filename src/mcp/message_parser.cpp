// JSON-RPC body parsing: jansson with JSON_REJECT_DUPLICATES, and the path of a repeated member
// read back from the text up to where jansson stopped.
#include "mcp/message_parser.hpp"

#include <string>
#include <vector>

#include "mcp/jsonrpc.hpp"

namespace asg {

namespace {

// Just past the string whose opening quote is at i (text jansson has read, so well-formed).
std::size_t string_end(std::string_view s, std::size_t i) {
    for (std::size_t j = i + 1; j < s.size(); ++j) {
        if (s[j] == '\\') {
            ++j;
        } else if (s[j] == '"') {
            return j + 1;
        }
    }
    return s.size();
}

std::string decoded_key(std::string_view token) {
    Json key = json_own(json_loadb(token.data(), token.size(), JSON_DECODE_ANY, nullptr));
    std::string text = json_is_string(key.get())
                           ? std::string(json_string_value(key.get()), json_string_length(key.get()))
                           : std::string(token);
    if (text.size() > 64) text = text.substr(0, 64) + "...";
    return text;
}

struct Frame {
    bool object = false;
    std::string_view key;  // objects: the raw token of the member being read
    std::size_t index = 0; // arrays: the element being read
};

// Where the repeated member is: jansson stops right after its key, at end. The key is the last one
// read in the innermost object; path names the members and elements around it ("" at the top).
struct RepeatedMember {
    std::string key;
    std::string path;
    std::size_t depth = 0;  // 1: a member of the top-level value
};

RepeatedMember locate_repeated_member(std::string_view text, std::size_t end) {
    std::vector<Frame> stack;
    bool expect_key = false;
    end = std::min(end, text.size());
    for (std::size_t i = 0; i < end;) {
        char c = text[i];
        if (c == '"') {
            std::size_t j = string_end(text, i);
            if (expect_key && !stack.empty() && stack.back().object) {
                stack.back().key = text.substr(i, j - i);
                expect_key = false;
            }
            i = j;
            continue;
        }
        if (c == '{' || c == '[') {
            stack.push_back(Frame{c == '{', {}, 0});
            expect_key = c == '{';
        } else if ((c == '}' || c == ']') && !stack.empty()) {
            stack.pop_back();
        } else if (c == ',' && !stack.empty()) {
            if (stack.back().object) {
                expect_key = true;
            } else {
                ++stack.back().index;
            }
        }
        ++i;
    }
    RepeatedMember found;
    found.depth = stack.size();
    for (std::size_t level = 0; level < stack.size(); ++level) {
        const Frame& frame = stack[level];
        bool last = level + 1 == stack.size();
        if (last) {
            found.key = decoded_key(frame.key);
        } else if (frame.object) {
            found.path += (found.path.empty() ? "" : ".") + decoded_key(frame.key);
        } else {
            found.path += "[" + std::to_string(frame.index) + "]";
        }
    }
    return found;
}

}  // namespace

ParsedBody parse_jsonrpc_body(std::string_view text) {
    ParsedBody out;
    json_error_t error;
    out.message = json_own(json_loadb(text.data(), text.size(), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error));
    if (out.message) return out;
    if (json_error_code(&error) != json_error_duplicate_key) {
        out.error = jsonrpc_error(nullptr, kParseError,
                                  std::string("Parse error: ") + error.text + " (line " + std::to_string(error.line) +
                                      ", column " + std::to_string(error.column) + ")");
        return out;
    }
    RepeatedMember repeated = locate_repeated_member(text, static_cast<std::size_t>(error.position));
    // Answer with the message's id when it has one beyond doubt: a single message whose own "id"
    // is not the repeated member.
    Json lenient = json_own(json_loadb(text.data(), text.size(), JSON_DECODE_ANY, nullptr));
    const json_t* id = nullptr;
    if (json_is_object(lenient.get()) && !(repeated.depth == 1 && repeated.key == "id")) {
        id = json_object_get(lenient.get(), "id");
        if (!jsonrpc_id_valid(id)) id = nullptr;
    }
    std::string where = repeated.path.empty() ? "" : " in " + repeated.path;
    out.error = jsonrpc_error(id, kInvalidRequest,
                              "Invalid Request: duplicate member \"" + repeated.key + "\"" + where +
                                  " (a JSON-RPC message names each member once)");
    return out;
}

}  // namespace asg
