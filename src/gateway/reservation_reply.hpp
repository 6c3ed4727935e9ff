// The shape of EXEC's reply to a reservation (gateway_call.cpp build_commands): every element's type checked.
#pragma once
#include <hiredis/hiredis.h>

namespace asg {

enum class ReservationReply {
    ok,                     // every counter answered with its total, the budget's epoch is there
    budget_uninitialized,   // the same, but the month's budget counter has no epoch yet (GET gave nil)
    malformed,              // not an array of the expected size, or an element of the wrong type
                            // (an error such as WRONGTYPE or OOM inside EXEC, a nil EXEC, ...)
};

// MULTI, INCRBY rate, PEXPIRE, INCRBY tokens, PEXPIRE[, GET epoch, INCRBY budget], EXEC.
ReservationReply classify_reservation_reply(const redisReply* exec, bool has_budget);

}  // namespace asg
