// The shape of EXEC's reply to a reservation (gateway_call.cpp build_commands): every element's type checked.
#pragma once
#include <cstddef>

#include <hiredis/hiredis.h>

namespace asg {

enum class ReservationReply {
    ok,                     // every counter answered with its total, the budget's baseline is there
    budget_uninitialized,   // the same, but the month's budget has no baseline yet (GET gave nil)
    malformed,              // not an array of the expected size, or an element of the wrong type
                            // (an error such as WRONGTYPE or OOM inside EXEC, a nil EXEC, ...)
};

// MULTI, INCRBY rate, PEXPIRE, INCRBY tokens, PEXPIRE[, GET baseline, INCRBY budget], EXEC; without
// `with_ttl` the two PEXPIREs are left out.
ReservationReply classify_reservation_reply(const redisReply* exec, bool has_budget, bool with_ttl = true);

// Where each answer is in EXEC's reply.
struct ReservationReplyLayout {
    std::size_t requests, tokens, baseline, budget, size;
};
ReservationReplyLayout reservation_reply_layout(bool has_budget, bool with_ttl);

}  // namespace asg
