// Reads EXEC's reply to a reservation only after checking the type of each of its elements.
#include "gateway/reservation_reply.hpp"

#include <cstddef>

namespace asg {

ReservationReply classify_reservation_reply(const redisReply* exec, bool has_budget) {
    std::size_t expected = has_budget ? 6 : 4;
    if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY || exec->elements != expected) return ReservationReply::malformed;
    for (std::size_t i = 0; i < expected; ++i) {
        const redisReply* element = exec->element[i];
        if (element == nullptr) return ReservationReply::malformed;
        bool epoch = i == 4;
        bool fits = epoch ? element->type == REDIS_REPLY_STRING || element->type == REDIS_REPLY_NIL
                          : element->type == REDIS_REPLY_INTEGER;
        if (!fits) return ReservationReply::malformed;
    }
    if (has_budget && exec->element[4]->type == REDIS_REPLY_NIL) return ReservationReply::budget_uninitialized;
    return ReservationReply::ok;
}

}  // namespace asg
