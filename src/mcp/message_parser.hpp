// Reading a JSON-RPC body (one message or a batch) with jansson: a repeated member at any depth is
// refused with -32600 naming it, as the gateway refuses one; anything unreadable is -32700.
#pragma once
#include <string_view>

#include "util/json_ptr.hpp"

namespace asg {

struct ParsedBody {
    Json message;  // the body's JSON value; null when error is set
    Json error;    // the JSON-RPC error response to send instead
};

ParsedBody parse_jsonrpc_body(std::string_view text);

}  // namespace asg
