// Reads EXEC's reply to a reservation only after checking the type of each of its elements.
#include "gateway/reservation_reply.hpp"

namespace asg {

ReservationReplyLayout reservation_reply_layout(bool has_budget, bool with_ttl) {
    std::size_t step = with_ttl ? 2 : 1;
    ReservationReplyLayout at{0, step, 2 * step, 2 * step + 1, 2 * step};
    if (has_budget) at.size += 2;
    return at;
}

ReservationReply classify_reservation_reply(const redisReply* exec, bool has_budget, bool with_ttl) {
    ReservationReplyLayout at = reservation_reply_layout(has_budget, with_ttl);
    if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY || exec->elements != at.size) return ReservationReply::malformed;
    for (std::size_t i = 0; i < at.size; ++i) {
        const redisReply* element = exec->element[i];
        if (element == nullptr) return ReservationReply::malformed;
        bool baseline = has_budget && i == at.baseline;
        bool fits = baseline ? element->type == REDIS_REPLY_STRING || element->type == REDIS_REPLY_NIL
                             : element->type == REDIS_REPLY_INTEGER;
        if (!fits) return ReservationReply::malformed;
    }
    if (has_budget && exec->element[at.baseline]->type == REDIS_REPLY_NIL) return ReservationReply::budget_uninitialized;
    return ReservationReply::ok;
}

}  // namespace asg
