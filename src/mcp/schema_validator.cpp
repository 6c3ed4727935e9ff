// A small JSON Schema (2020-12 subset) validator producing field-naming messages.
#include "mcp/schema_validator.hpp"

#include <regex.h>

#include <map>
#include <memory>

#include "util/json_ptr.hpp"

namespace asg {

static bool has_type(const json_t* instance, const char* type) {
    std::string t = type;
    if (t == "string") return json_is_string(instance);
    if (t == "integer") return json_is_integer(instance);
    if (t == "number") return json_is_number(instance);
    if (t == "boolean") return json_is_boolean(instance);
    if (t == "object") return json_is_object(instance);
    if (t == "array") return json_is_array(instance);
    if (t == "null") return json_is_null(instance);
    return false;
}

static const char* type_name(const json_t* v) {
    switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
    }
    return "a value";
}

static std::size_t utf8_length(const char* s, std::size_t bytes) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
    return n;
}

static std::string expected_name(const std::string& type) {
    if (type == "integer" || type == "object" || type == "array") return "an " + type;
    return "a " + type;
}

static std::string check_type(const json_t* schema, const json_t* instance, const std::string& path) {
    const json_t* type = json_object_get(schema, "type");
    if (json_is_string(type)) {
        if (!has_type(instance, json_string_value(type)))
            return path + " must be " + expected_name(json_string_value(type)) + ", not " +
                   type_name(instance);
    } else if (json_is_array(type)) {
        std::size_t i;
        json_t* t;
        json_array_foreach(type, i, t) {
            if (json_is_string(t) && has_type(instance, json_string_value(t))) return "";
        }
        return path + " has the wrong type (" + type_name(instance) + ")";
    }
    return "";
}

// Schema patterns (the subset of ECMA-262 shared with POSIX extended syntax), compiled once per thread.
static const regex_t* compiled(const std::string& pattern) {
    struct Free {
        void operator()(regex_t* r) const noexcept {
            regfree(r);
            delete r;
        }
    };
    thread_local std::map<std::string, std::unique_ptr<regex_t, Free>> cache;
    auto it = cache.find(pattern);
    if (it != cache.end()) return it->second.get();
    std::unique_ptr<regex_t, Free> re(new regex_t);
    if (regcomp(re.get(), pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
        delete re.release();
        return nullptr;
    }
    return cache.emplace(pattern, std::move(re)).first->second.get();
}

static std::string check_string(const json_t* schema, const json_t* instance, const std::string& path) {
    std::size_t length = utf8_length(json_string_value(instance), json_string_length(instance));
    const json_t* min = json_object_get(schema, "minLength");
    const json_t* max = json_object_get(schema, "maxLength");
    if (json_is_integer(min) && length < static_cast<std::size_t>(json_integer_value(min)))
        return path + " must be at least " + std::to_string(json_integer_value(min)) + " characters long";
    if (json_is_integer(max) && length > static_cast<std::size_t>(json_integer_value(max)))
        return path + " must be at most " + std::to_string(json_integer_value(max)) + " characters long";
    const json_t* pattern = json_object_get(schema, "pattern");
    if (json_is_string(pattern)) {
        // POSIX regexec: no recursion per character, so any length of input is safe to test.
        const regex_t* re = compiled(json_string_value(pattern));
        std::string text(json_string_value(instance), json_string_length(instance));
        if (re == nullptr || text.find('\0') != std::string::npos || regexec(re, text.c_str(), 0, nullptr, 0) != 0)
            return path + " must match the pattern " + json_string_value(pattern);
    }
    return "";
}

static std::string check_number(const json_t* schema, const json_t* instance, const std::string& path) {
    double v = json_number_value(instance);
    const json_t* min = json_object_get(schema, "minimum");
    const json_t* max = json_object_get(schema, "maximum");
    if (json_is_number(min) && v < json_number_value(min))
        return path + " must be at least " + json_to_string(min);
    if (json_is_number(max) && v > json_number_value(max))
        return path + " must be at most " + json_to_string(max);
    return "";
}

static std::string check_object(const json_t* schema, const json_t* instance, const std::string& path) {
    const json_t* properties = json_object_get(schema, "properties");
    const json_t* required = json_object_get(schema, "required");
    std::size_t i;
    json_t* name;
    json_array_foreach(required, i, name) {
        if (json_is_string(name) && json_object_get(instance, json_string_value(name)) == nullptr)
            return path + "." + json_string_value(name) + " is required";
    }
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(instance), key, value) {
        const json_t* sub = json_object_get(properties, key);
        if (sub == nullptr) {
            if (json_is_false(json_object_get(schema, "additionalProperties")))
                return path + "." + key + " is not a known field";
            continue;
        }
        std::string error = validate_against_schema(sub, value, path + "." + key);
        if (!error.empty()) return error;
    }
    return "";
}

static std::string check_array(const json_t* schema, const json_t* instance, const std::string& path) {
    const json_t* min = json_object_get(schema, "minItems");
    const json_t* max = json_object_get(schema, "maxItems");
    if (json_is_integer(min) && json_array_size(instance) < static_cast<std::size_t>(json_integer_value(min)))
        return path + " must have at least " + std::to_string(json_integer_value(min)) + " items";
    if (json_is_integer(max) && json_array_size(instance) > static_cast<std::size_t>(json_integer_value(max)))
        return path + " must have at most " + std::to_string(json_integer_value(max)) + " items";
    const json_t* items = json_object_get(schema, "items");
    if (json_is_object(items)) {
        std::size_t i;
        json_t* item;
        json_array_foreach(instance, i, item) {
            std::string error = validate_against_schema(items, item, path + "[" + std::to_string(i) + "]");
            if (!error.empty()) return error;
        }
    }
    return "";
}

std::string validate_against_schema(const json_t* schema, const json_t* instance,
                                    const std::string& path) {
    std::string error = check_type(schema, instance, path);
    if (!error.empty()) return error;
    const json_t* allowed = json_object_get(schema, "enum");
    if (json_is_array(allowed)) {
        bool found = false;
        std::size_t i;
        json_t* option;
        json_array_foreach(allowed, i, option) found = found || json_equal(option, instance);
        if (!found) return path + " must be one of " + json_to_string(allowed);
    }
    if (json_is_string(instance)) return check_string(schema, instance, path);
    if (json_is_number(instance)) return check_number(schema, instance, path);
    if (json_is_object(instance)) return check_object(schema, instance, path);
    if (json_is_array(instance)) return check_array(schema, instance, path);
    return "";
}

}  // namespace asg
