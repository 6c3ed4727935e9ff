// JSON serialisation helpers over jansson.
#include "util/json_ptr.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>

namespace asg {

std::string json_to_string(const json_t* value) {
    if (value == nullptr) throw std::logic_error("json_to_string(null): a JSON value was not built");
    char* text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == nullptr) throw std::bad_alloc();
    std::string out(text);
    std::free(text);
    return out;
}

std::string utf8_sanitized(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (ok && n > 1) {
            // Reject overlong forms, surrogates and code points past U+10FFFF, as jansson does.
            json_t* probe = json_stringn(s.data() + i, n);
            ok = probe != nullptr;
            json_decref(probe);
        }
        if (ok && c == 0) ok = false;
        if (ok) {
            out.append(s.data() + i, n);
            i += n;
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

json_t* json_drop_nulls(json_t* object) {
    const char* key;
    json_t* value;
    void* tmp;
    json_object_foreach_safe(object, tmp, key, value) {
        if (json_is_null(value)) json_object_del(object, key);
    }
    return object;
}

std::string_view json_member_string(const json_t* object, const char* key) {
    const json_t* member = json_object_get(object, key);
    if (!json_is_string(member)) return {};
    return {json_string_value(member), json_string_length(member)};
}

bool valid_utf8(std::string_view s) {
    json_t* probe = json_stringn(s.data(), s.size());
    bool ok = probe != nullptr;
    json_decref(probe);
    return ok;
}

}  // namespace asg
