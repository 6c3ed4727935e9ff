// Compact JSON output of simdjson DOM values.
#include "util/json_writer.hpp"

#include <charconv>

namespace asg {

void write_json_string(std::string& out, std::string_view text) {
    static const char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;  // start of the current run of characters that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text, run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
        }
    }
    out.append(text, run, std::string_view::npos);
    out += '"';
}

void ObjectKeyWriter::write(std::string& out, std::string_view key, const StringReplacements* replace) {
    auto it = replace == nullptr ? StringReplacements::const_iterator() : replace->find(key.data());
    if (replace == nullptr || it == replace->end()) return write_json_string(out, key);
    if (!filled_) {
        for (simdjson::dom::key_value_pair field : object_) taken_.emplace(field.key);
        filled_ = true;
    }
    std::string unique = it->second;
    for (int n = 2; taken_.count(unique) != 0; ++n) unique = it->second + "#" + std::to_string(n);
    write_json_string(out, unique);
    taken_.insert(std::move(unique));
}

void write_json_value(std::string& out, simdjson::dom::element value, const StringReplacements* replace) {
    using simdjson::dom::element_type;
    char number[32];
    switch (value.type()) {
        case element_type::OBJECT: {
            out += '{';
            bool first = true;
            simdjson::dom::object object(value);
            ObjectKeyWriter keys(object);
            for (simdjson::dom::key_value_pair field : object) {
                if (!first) out += ',';
                first = false;
                keys.write(out, field.key, replace);
                out += ':';
                write_json_value(out, field.value, replace);
            }
            out += '}';
            return;
        }
        case element_type::ARRAY: {
            out += '[';
            bool first = true;
            for (simdjson::dom::element item : simdjson::dom::array(value)) {
                if (!first) out += ',';
                first = false;
                write_json_value(out, item, replace);
            }
            out += ']';
            return;
        }
        case element_type::STRING: {
            std::string_view text = value.get_string().value_unsafe();
            if (replace != nullptr) {
                auto it = replace->find(text.data());
                if (it != replace->end()) text = it->second;
            }
            write_json_string(out, text);
            return;
        }
        case element_type::INT64:
            out.append(number, std::to_chars(number, number + sizeof number, value.get_int64().value_unsafe()).ptr);
            return;
        case element_type::UINT64:
            out.append(number, std::to_chars(number, number + sizeof number, value.get_uint64().value_unsafe()).ptr);
            return;
        case element_type::DOUBLE: {
            // Shortest text that reads back the same; a fraction kept visibly one ("5.0", "-0.0").
            char* end = std::to_chars(number, number + sizeof number - 2, value.get_double().value_unsafe()).ptr;
            out.append(number, end);
            if (std::string_view(number, end - number).find_first_of(".e") == std::string_view::npos) out += ".0";
            return;
        }
        case element_type::BOOL:
            out += value.get_bool().value_unsafe() ? "true" : "false";
            return;
        case element_type::NULL_VALUE:
            out += "null";
            return;
    }
}

}  // namespace asg
