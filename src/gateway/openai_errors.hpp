// OpenAI-style error bodies: {"error": {"message", "type", "code"}}.
#pragma once
#include <string>

#include "util/json_ptr.hpp"

namespace asg {

inline std::string openai_error(const std::string& message, const std::string& type, const std::string& code) {
    std::string text = utf8_sanitized(message);
    return json_to_string(json_own(json_pack("{s:{s:s,s:s,s:s}}", "error", "message", text.c_str(), "type",
                                             type.c_str(), "code", code.c_str())).get());
}

}  // namespace asg
