// MCP over stdio: newline-delimited JSON-RPC on a stream pair, same dispatcher as /mcp.
#pragma once
#include <iosfwd>
#include <string>

#include "asgard.h"
#include "mcp/answer_limits.hpp"

namespace asg {

struct StdioOptions {
    std::string default_project;  // $ASGARD_PROJECT
    AnswerLimits limits{kDefaultMaxBatch, kDefaultMaxAnswerBytes, "mcp_max_batch", "mcp_max_response_size"};
};

// Serves until end of input. Only protocol messages are written to out.
void serve_stdio(std::istream& in, std::ostream& out, const asg_principal_t& principal,
                 const StdioOptions& options);

}  // namespace asg
