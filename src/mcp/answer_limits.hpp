// Caps on what one exchange may make a worker hold: how many messages a batch may carry and how
// large the answer may grow. The answer is cut off while it is built, never built and then checked.
#pragma once
#include <cstddef>
#include <string>

#include "mcp/dispatcher.hpp"

namespace asg {

inline constexpr std::size_t kDefaultMaxBatch = 100;
inline constexpr std::size_t kDefaultMaxAnswerBytes = 8 * 1024 * 1024;

struct AnswerLimits {
    std::size_t max_batch = kDefaultMaxBatch;
    std::size_t max_answer_bytes = kDefaultMaxAnswerBytes;
    // The settings' names, for the messages: nginx directives or asgard.conf keys.
    const char* max_batch_setting = "asgard_mcp_max_batch";
    const char* max_answer_setting = "asgard_mcp_max_response_size";
};

// The -32600 answer to a batch longer than max_batch, or null when it is not.
Json batch_over_limit(std::size_t items, const AnswerLimits& limits);

// Dispatches a batch's messages in order and returns "[answers]", or "" when nothing is answered.
// Once the answer would pass max_answer_bytes, the answer that did is replaced by an error, the
// messages after it are not run, and each request among them is answered with an error too (so
// the answer stays within the cap plus one small error per message). Sets ctx.needs_io and
// returns "" when a message needs I/O that ctx does not allow.
std::string run_batch(DispatchContext& ctx, const json_t* batch, const AnswerLimits& limits);

// One message's answer on the wire, or the error that replaces it when it passes max_answer_bytes.
std::string bounded_answer(const Reply& reply, const AnswerLimits& limits);

}  // namespace asg
