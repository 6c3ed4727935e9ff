// Parsing, checking and rewriting the chat request body.
#include "gateway/chat_body.hpp"

#include <algorithm>
#include <cstring>

#include "util/json_ptr.hpp"
#include "util/raw_json.hpp"

namespace asg {

namespace dom = simdjson::dom;

namespace {

// Fields of Asgard's own, stripped before the body reaches the provider.
const char* kAsgardFields[] = {"data_class", "asgard"};

bool asgard_field(std::string_view key) {
    for (const char* name : kAsgardFields)
        if (key == name) return true;
    return false;
}

// Members whose value is a base64 payload (an image, audio or a file), by the key of the object
// that holds them: {"image_url": {"url": ...}}, {"input_audio": {"data": ...}}, {"file": {"file_data": ...}}.
struct Base64Member {
    std::string_view parent, key;
};
constexpr Base64Member kBase64Members[] = {{"image_url", "url"}, {"input_audio", "data"}, {"file", "file_data"}};

bool base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

// Base64, or a data: URL of base64 ("data:image/png;base64,iVBOR..."): no text a reader would see.
bool base64_payload(std::string_view s) {
    if (s.compare(0, 5, "data:") == 0) {
        std::size_t comma = s.find(',');
        if (comma == std::string_view::npos || comma > 200 || comma < 12 || s.compare(comma - 7, 7, ";base64") != 0) return false;
        for (char c : s.substr(5, comma - 12))
            if (!(base64_char(c) || c == '-' || c == '.' || c == ';' || c == '_')) return false;  // the media type and its parameters
        s.remove_prefix(comma + 1);
    }
    for (char c : s)
        if (!base64_char(c)) return false;
    return true;
}

bool skipped_payload(std::string_view parent, std::string_view key, dom::element value) {
    for (const Base64Member& m : kBase64Members) {
        if (key != m.key || parent != m.parent) continue;
        std::string_view text;
        return !value.get_string().get(text) && base64_payload(text);
    }
    return false;
}

// Every key and string under value; `parent` is the key of the object that holds value.
void collect_texts(dom::element value, std::string_view parent, std::size_t member, std::vector<BodyText>& out) {
    switch (value.type()) {
        case dom::element_type::STRING:
            out.push_back({value.get_string().value_unsafe(), member});
            return;
        case dom::element_type::ARRAY:
            for (dom::element item : dom::array(value)) collect_texts(item, parent, member, out);
            return;
        case dom::element_type::OBJECT:
            for (dom::key_value_pair field : dom::object(value)) {
                out.push_back({field.key, member});
                if (!skipped_payload(parent, field.key, field.value)) collect_texts(field.value, field.key, member, out);
            }
            return;
        default:
            return;
    }
}

dom::parser& chat_parser() {
    thread_local dom::parser parser;
    return parser;
}

// A key given twice, or nullptr. A chat body has a handful of members: comparing each pair (the
// lengths first) beats sorting them; a body with many is sorted.
const std::string_view* repeated_key(std::vector<std::string_view>& keys) {
    if (keys.size() > 16) {
        std::sort(keys.begin(), keys.end());
        auto twice = std::adjacent_find(keys.begin(), keys.end());
        return twice == keys.end() ? nullptr : &*twice;
    }
    for (std::size_t i = 1; i < keys.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (keys[i].size() == keys[j].size() && keys[i] == keys[j]) return &keys[i];
    return nullptr;
}

}  // namespace

std::string parse_chat_body(std::string_view raw, bool padded, ChatBody& chat) {
    dom::element root;
    if (auto error = chat_parser().parse(raw.data(), raw.size(), !padded).get(root))
        return std::string("the request body is not valid JSON: ") + simdjson::error_message(error);
    if (root.get_object().get(chat.body)) return "the request body is not a JSON object";
    thread_local std::vector<std::string_view> keys;
    keys.clear();
    for (dom::key_value_pair field : chat.body) {
        keys.push_back(field.key);
        std::optional<dom::element>* slot = nullptr;
        if (field.key == "model") {
            slot = &chat.model;
        } else if (field.key == "messages") {
            slot = &chat.messages;
        } else if (field.key == "data_class") {
            slot = &chat.data_class;
        } else if (field.key == "max_completion_tokens") {
            slot = &chat.max_completion_tokens;
        } else if (field.key == "max_tokens") {
            slot = &chat.max_tokens;
        } else if (field.key == "n") {
            slot = &chat.n;
        } else if (field.key == "stream") {
            slot = &chat.stream;
        } else if (field.key == "input") {
            slot = &chat.input;
        } else if (field.key == "max_output_tokens") {
            slot = &chat.max_output_tokens;
        }
        if (slot != nullptr) *slot = field.value;
    }
    // One value per member: a second "model" or "messages" would reach the provider unchecked.
    if (const std::string_view* twice = repeated_key(keys))
        return "the request body has the member \"" + utf8_sanitized(twice->substr(0, 64)) + "\" twice";
    return "";
}

void collect_body_texts(const ChatBody& chat, std::vector<BodyText>& out) {
    std::size_t index = 0;
    for (dom::key_value_pair field : chat.body) {
        std::size_t member = index++;
        if (asgard_field(field.key) || field.key == "model") continue;
        out.push_back({field.key, member});
        collect_texts(field.value, "", member, out);
    }
}

void BodyRedactions::replace(const BodyText& text, std::string replacement) {
    strings[text.text.data()] = std::move(replacement);
    if (members.size() <= text.member) members.resize(text.member + 1, false);
    members[text.member] = true;
}

std::string provider_body(std::string_view raw, const ChatBody& chat, std::string_view upstream_model,
                          const BodyRedactions* redacted, const AddedLimit* added, bool stream_usage) {
    if (redacted != nullptr && redacted->empty()) redacted = nullptr;
    const StringReplacements* redactions = redacted == nullptr ? nullptr : &redacted->strings;
    dom::object body = chat.body;
    thread_local std::vector<RawMember> members;
    bool copy_raw = raw_members(raw, members) && members.size() == body.size();
    bool stream = false;
    if (!chat.stream || chat.stream->get_bool().get(stream)) stream = false;  // absent or not a boolean
    if (!stream_usage) stream = false;  // stream_options left as the client wrote it
    std::string out;
    out.reserve(raw.size() + upstream_model.size() + 64);
    out += '{';
    bool options_written = false;
    auto write_options = [&](dom::element* existing) {
        out += "\"stream_options\":{";
        dom::object options;
        if (existing != nullptr && !existing->get_object().get(options)) {
            ObjectKeyWriter keys(options);
            for (dom::key_value_pair field : options) {
                if (field.key == "include_usage") continue;
                keys.write(out, field.key, redactions);
                out += ':';
                write_json_value(out, field.value, redactions);
                out += ',';
            }
        }
        out += "\"include_usage\":true}";
        options_written = true;
    };
    std::size_t index = 0;
    ObjectKeyWriter keys(body);
    for (dom::key_value_pair field : body) {
        std::size_t at = index++;
        const RawMember* member = copy_raw ? &members[at] : nullptr;
        if (asgard_field(field.key)) continue;
        // A null limit means none: the gateway's own is added instead (never both names).
        if ((field.key == "max_tokens" || field.key == "max_completion_tokens" || field.key == "max_output_tokens") &&
            field.value.is_null())
            continue;
        if (out.size() > 1) out += ',';
        if (field.key == "model") {
            out += "\"model\":";
            write_json_string(out, upstream_model);
        } else if (field.key == "stream_options" && stream) {
            write_options(&field.value);  // Asgard writes this member's name itself
        } else if (member != nullptr && (redacted == nullptr || !redacted->changed(at))) {
            out += member->key;  // nothing in this member was redacted
            out += ':';
            out += member->value;
        } else {
            keys.write(out, field.key, redactions);
            out += ':';
            write_json_value(out, field.value, redactions);
        }
    }
    if (stream && !options_written) {
        if (out.size() > 1) out += ',';
        write_options(nullptr);
    }
    if (added != nullptr && !added->name.empty()) {
        if (out.size() > 1) out += ',';
        write_json_string(out, added->name);
        out += ':';
        out += std::to_string(added->value);
    }
    out += '}';
    return out;
}

}  // namespace asg
