// The reservations begun in one event loop pass, sent to Redis as ONE MULTI/EXEC: every call's
// commands one after the other inside the transaction, and EXEC's reply cut back into each call's
// part in order (on the same counter each call's INCRBY answers the running total after it, so
// every call decides exactly as if it had its own transaction). No I/O; the event loop's thread only.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "gateway/counter_reservation.hpp"

namespace asg {

class ReservationBatch {
public:
    // Adds a reservation's commands; `waiter` is the caller's, handed back by waiter().
    void add(const CounterReservation& reservation, void* waiter);
    bool empty() const { return parts_.empty(); }
    std::size_t size() const { return parts_.size(); }
    void* waiter(std::size_t i) const { return parts_[i].waiter; }
    // MULTI, every call's commands, EXEC: command i's bytes in Redis's protocol.
    std::size_t command_count() const { return starts_.size(); }
    std::string_view command(std::size_t i) const;
    // Call i's part of EXEC's reply, as the reply to its own MULTI/EXEC would be (valid until the
    // next part() or the batch's end). A reply that is not an array (nullptr, an error such as
    // EXECABORT) is every call's reply as it is.
    const redisReply* part(std::size_t i, const redisReply* exec);
    void close();  // appends EXEC: no more calls join
    void clear();

private:
    struct Part {
        void* waiter;
        std::size_t first, count;  // its replies in EXEC's array
    };
    std::string wire_;
    std::vector<std::size_t> starts_;
    std::vector<Part> parts_;
    std::size_t replies_ = 0;
    redisReply view_{};
};

// The batch that this pass's reservations join (created on demand), and the taking of it for
// sending (nullptr when empty); a taken batch goes back to release_batch() after its reply.
ReservationBatch& open_batch();
ReservationBatch* take_batch();
void release_batch(ReservationBatch* batch);

}  // namespace asg
