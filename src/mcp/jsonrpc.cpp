// JSON-RPC 2.0 envelopes.
#include "mcp/jsonrpc.hpp"

#include <new>

namespace asg {

Json jsonrpc_result(const json_t* id, Json result) {
    return json_own(json_pack("{s:s,s:O,s:O}", "jsonrpc", "2.0", "id", id, "result", result.get()));
}

Json jsonrpc_error(const json_t* id, int code, std::string_view message) {
    Json null_id = json_own(json_null());
    // Messages may quote client input (a header, a parser's excerpt): never let it break the JSON.
    std::string text = utf8_sanitized(message);
    Json error = json_own(json_pack("{s:s,s:O,s:{s:i,s:s%}}", "jsonrpc", "2.0", "id", id ? id : null_id.get(),
                                    "error", "code", code, "message", text.data(), text.size()));
    if (!error) throw std::bad_alloc();
    return error;
}

bool jsonrpc_id_valid(const json_t* id) { return json_is_string(id) || json_is_integer(id); }

}  // namespace asg
