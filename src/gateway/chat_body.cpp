// Parsing, checking and rewriting the chat request body.
#include "gateway/chat_body.hpp"

#include <algorithm>

#include "util/json_ptr.hpp"

namespace asg {

namespace dom = simdjson::dom;

namespace {

// Fields of Asgard's own, stripped before the body reaches the provider.
const char* kAsgardFields[] = {"data_class", "asgard"};

dom::parser& chat_parser() {
    thread_local dom::parser parser;
    return parser;
}

}  // namespace

std::string parse_chat_body(std::string_view raw, bool padded, dom::object& body) {
    dom::element root;
    if (auto error = chat_parser().parse(raw.data(), raw.size(), !padded).get(root))
        return std::string("the request body is not valid JSON: ") + simdjson::error_message(error);
    if (root.get_object().get(body)) return "the request body is not a JSON object";
    // One value per member: a second "model" or "messages" would reach the provider unchecked.
    thread_local std::vector<std::string_view> keys;
    keys.clear();
    for (dom::key_value_pair field : body) keys.push_back(field.key);
    std::sort(keys.begin(), keys.end());
    if (auto twice = std::adjacent_find(keys.begin(), keys.end()); twice != keys.end())
        return "the request body has the member \"" + utf8_sanitized(twice->substr(0, 64)) + "\" twice";
    return "";
}

void collect_message_texts(dom::element value, std::vector<std::string_view>& out) {
    switch (value.type()) {
        case dom::element_type::STRING:
            out.push_back(value.get_string().value_unsafe());
            return;
        case dom::element_type::ARRAY:
            for (dom::element item : dom::array(value)) collect_message_texts(item, out);
            return;
        case dom::element_type::OBJECT:
            for (dom::key_value_pair field : dom::object(value))
                if (field.key != "role" && field.key != "type") collect_message_texts(field.value, out);
            return;
        default:
            return;
    }
}

std::string provider_body(dom::object body, std::string_view upstream_model, const StringReplacements* redactions) {
    bool stream = false;
    if (body["stream"].get_bool().get(stream)) stream = false;  // absent or not a boolean
    std::string out;
    out.reserve(256);
    out += '{';
    bool options_written = false;
    auto write_options = [&](dom::element* existing) {
        out += "\"stream_options\":{";
        dom::object options;
        if (existing != nullptr && !existing->get_object().get(options)) {
            for (dom::key_value_pair field : options) {
                if (field.key == "include_usage") continue;
                write_json_string(out, field.key);
                out += ':';
                write_json_value(out, field.value, redactions);
                out += ',';
            }
        }
        out += "\"include_usage\":true}";
        options_written = true;
    };
    for (dom::key_value_pair field : body) {
        bool own = false;
        for (const char* name : kAsgardFields) own = own || field.key == name;
        if (own) continue;
        if (out.size() > 1) out += ',';
        if (field.key == "model") {
            out += "\"model\":";
            write_json_string(out, upstream_model);
        } else if (field.key == "stream_options" && stream) {
            write_options(&field.value);
        } else {
            write_json_string(out, field.key);
            out += ':';
            write_json_value(out, field.value, redactions);
        }
    }
    if (stream && !options_written) {
        if (out.size() > 1) out += ',';
        write_options(nullptr);
    }
    out += '}';
    return out;
}

}  // namespace asg
