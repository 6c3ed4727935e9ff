// The batch length and answer size caps of /mcp and asgard mcp.
#include "mcp/answer_limits.hpp"

#include "mcp/jsonrpc.hpp"

namespace asg {

namespace {

std::string bytes_text(std::size_t n) { return std::to_string(n) + " bytes"; }

// The error of a request whose answer passed the cap (it ran; its answer is left out).
std::string dropped_answer(const json_t* id, std::size_t size, const AnswerLimits& limits, bool in_batch) {
    std::string message = "Answer too large: the answer to this request (" + bytes_text(size) + ") would take " +
                          (in_batch ? "the batch's answer" : "the answer") + " past " + limits.max_answer_setting +
                          " (" + bytes_text(limits.max_answer_bytes) + "); the request ran but its result is left out; " +
                          (in_batch ? "send fewer calls per batch" : "ask for less in one call");
    return json_to_string(jsonrpc_error(id, kServerError, message).get());
}

// The error of a request a batch did not run because its answer was already full.
std::string not_run(const json_t* id, const AnswerLimits& limits) {
    std::string message = std::string("Answer too large: not run, the batch's answer reached ") +
                          limits.max_answer_setting + " (" + bytes_text(limits.max_answer_bytes) +
                          ") before this request; send fewer calls per batch";
    return json_to_string(jsonrpc_error(id, kServerError, message).get());
}

// A well-formed request (it would run and be answered), as opposed to a notification, a client's
// response, or an invalid message (whose answers need no I/O and are small).
const json_t* request_id(const json_t* message) {
    if (!json_is_object(message) || !json_is_string(json_object_get(message, "method"))) return nullptr;
    const json_t* id = json_object_get(message, "id");
    return jsonrpc_id_valid(id) ? id : nullptr;
}

}  // namespace

Json batch_over_limit(std::size_t items, const AnswerLimits& limits) {
    if (items <= limits.max_batch) return nullptr;
    return jsonrpc_error(nullptr, kInvalidRequest,
                         "Invalid Request: a JSON-RPC batch of " + std::to_string(items) + " messages is over " +
                             limits.max_batch_setting + " (" + std::to_string(limits.max_batch) +
                             "); send at most " + std::to_string(limits.max_batch) + " per batch");
}

std::string run_batch(DispatchContext& ctx, const json_t* batch, const AnswerLimits& limits) {
    std::string answer = "[";
    bool full = false;
    std::size_t i;
    json_t* item;
    json_array_foreach(batch, i, item) {
        std::string text;
        if (const json_t* id = full ? request_id(item) : nullptr) {
            text = not_run(id, limits);
        } else {
            Reply reply = dispatch_message(ctx, item);
            if (ctx.needs_io) return "";
            if (!reply) continue;
            text = reply_to_wire(reply);
            // The answer counts its brackets and commas too: "[" + a + "," + b + "]".
            if (!full && answer.size() + text.size() + 1 > limits.max_answer_bytes) {
                full = true;
                text = dropped_answer(json_object_get(reply.message.get(), "id"), text.size(), limits, true);
            }
        }
        if (answer.size() > 1) answer += ',';
        answer += text;
    }
    if (answer.size() == 1) return "";
    answer += ']';
    return answer;
}

std::string bounded_answer(const Reply& reply, const AnswerLimits& limits) {
    std::string text = reply_to_wire(reply);
    if (text.size() <= limits.max_answer_bytes) return text;
    return dropped_answer(json_object_get(reply.message.get(), "id"), text.size(), limits, false);
}

}  // namespace asg
