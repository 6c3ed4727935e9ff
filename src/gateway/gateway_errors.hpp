// The gateway's error bodies in each API family's shape: OpenAI's {"error": {message, type, code}}
// and Anthropic's {"type": "error", "error": {type, message, details: {error_code}}}, the shapes
// the official SDKs parse into their typed errors (the Anthropic SDK's errorCode is Asgard's code).
#pragma once
#include <string>
#include <string_view>

#include "gateway/gateway_route.hpp"
#include "gateway/openai_errors.hpp"

namespace asg {

// Anthropic's error type for an HTTP status.
inline std::string_view anthropic_error_type(int status) {
    switch (status) {
        case 400: case 405: case 409: case 422: return "invalid_request_error";
        case 401: return "authentication_error";
        case 402: return "billing_error";
        case 403: return "permission_error";
        case 404: return "not_found_error";
        case 413: return "request_too_large";
        case 429: return "rate_limit_error";
        case 504: return "timeout_error";
        case 529: return "overloaded_error";
        default: return "api_error";
    }
}

inline std::string anthropic_error(int status, const std::string& message, const std::string& code) {
    std::string text = utf8_sanitized(message);
    std::string type(anthropic_error_type(status));
    return json_to_string(json_own(json_pack("{s:s,s:{s:s,s:s,s:{s:s}}}", "type", "error", "error", "type", type.c_str(),
                                             "message", text.c_str(), "details", "error_code", code.c_str())).get());
}

// An error body for the API family: `type` is OpenAI's (Anthropic's follows from the status).
inline std::string error_body(Api api, int status, const std::string& message, const std::string& type,
                              const std::string& code) {
    return api == Api::anthropic ? anthropic_error(status, message, code) : openai_error(message, type, code);
}

}  // namespace asg
