// JSON-RPC 2.0 message building and the error codes MCP uses.
#pragma once
#include <string_view>

#include "util/json_ptr.hpp"

namespace asg {

enum JsonRpcCode {
    kParseError = -32700,
    kInvalidRequest = -32600,
    kMethodNotFound = -32601,
    kInvalidParams = -32602,
    kInternalError = -32603,
    kServerError = -32000,       // transport-level rejections
    kSessionNotFound = -32001,
};

Json jsonrpc_result(const json_t* id, Json result);
Json jsonrpc_error(const json_t* id, int code, std::string_view message);  // id nullptr -> null

// An id is valid when it is a string or an integer (MCP forbids null).
bool jsonrpc_id_valid(const json_t* id);

}  // namespace asg
