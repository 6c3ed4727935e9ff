// JSON-RPC 2.0 envelopes.
#include "mcp/jsonrpc.hpp"

namespace asg {

Json jsonrpc_result(const json_t* id, Json result) {
    return json_own(json_pack("{s:s,s:O,s:O}", "jsonrpc", "2.0", "id", id, "result", result.get()));
}

Json jsonrpc_error(const json_t* id, int code, std::string_view message) {
    Json null_id = json_own(json_null());
    return json_own(json_pack("{s:s,s:O,s:{s:i,s:s%}}", "jsonrpc", "2.0", "id",
                              id ? id : null_id.get(), "error", "code", code, "message",
                              message.data(), message.size()));
}

bool jsonrpc_id_valid(const json_t* id) { return json_is_string(id) || json_is_integer(id); }

}  // namespace asg
