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

// For a server that cannot start (an unknown local user): waits for the client's first line and
// answers its request with a JSON-RPC error carrying message (the client shows it), then returns.
// A notification, a batch or an unparsable line gets the error with id null. Gives up after
// wait_ms without input, or at end of input.
void refuse_stdio(std::istream& in, std::ostream& out, int in_fd, const std::string& message, int wait_ms);

}  // namespace asg
