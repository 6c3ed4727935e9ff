// JSON serialisation helpers over jansson.
#include "util/json_ptr.hpp"

#include <cstdlib>
#include <new>

namespace asg {

std::string json_to_string(const json_t* value) {
    char* text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == nullptr) throw std::bad_alloc();
    std::string out(text);
    std::free(text);
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

}  // namespace asg
