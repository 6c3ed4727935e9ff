// MCP Streamable HTTP: the HTTP-level rules around the dispatcher (methods, headers, sessions, batches).
#pragma once
#include "asgard.h"

namespace asg {

void handle_mcp_http(const asg_mcp_request_t& req, asg_mcp_response_t& out);

}  // namespace asg
