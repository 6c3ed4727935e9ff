// The worker's Redis commands that need no answer (a refused call's reservation taken back, a
// served call's unused part given back), queued by the calls and sent by the glue's asynchronous
// connection as soon as it can. Only the event loop's thread uses it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/counter_reservation.hpp"

namespace asg {

// Appends commands (a MULTI..EXEC stays whole; plain DECRBYs are summed per key until sent, and so
// are the DECRBYs of take-backs, a MULTI..EXEC of DECRBYs only, which go out in one MULTI..EXEC).
// Dropped when they counted on a connection that has been lost since (`generation` older than
// counter_generation()).
void outbox_push(RedisCommands&& commands, std::uint64_t generation);
// A plain DECRBY (a settlement), summed into the key's pending one (no allocation once the key is there).
void outbox_decrement(std::string_view key, std::int64_t amount, std::uint64_t generation);
// Up to about `most` commands to send now (a MULTI..EXEC is never split), removed from the queue.
RedisCommands outbox_take(std::size_t most);
// The connection to Redis was lost: Redis may have lost its counters with it (a restart), so
// nothing counted before is given back: the queue is emptied and the generation moves on.
void counters_lost();
std::uint64_t counter_generation();

}  // namespace asg
