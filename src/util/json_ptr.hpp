// RAII ownership of jansson values and small JSON helpers shared by the core.
#pragma once
#include <jansson.h>

#include <memory>
#include <string>
#include <string_view>

namespace asg {

struct JsonDecref {
    void operator()(json_t* value) const noexcept { json_decref(value); }
};
using Json = std::unique_ptr<json_t, JsonDecref>;

inline Json json_own(json_t* value) { return Json(value); }

// Compact UTF-8 serialisation; throws std::bad_alloc when jansson cannot allocate.
std::string json_to_string(const json_t* value);

// s with every byte that is not part of valid UTF-8 replaced by '?': safe to put into JSON.
std::string utf8_sanitized(std::string_view s);
// Whether the bytes are valid UTF-8 (as jansson takes a string).
bool valid_utf8(std::string_view s);

// Removes members whose value is null (optional fields are absent, never null); returns object.
json_t* json_drop_nulls(json_t* object);

// A borrowed string member, or an empty view when absent or not a string.
std::string_view json_member_string(const json_t* object, const char* key);

}  // namespace asg
