// The Redis mirror of PostgreSQL's ended MCP sessions: one hash holding the key of each ended
// session and the generation up to which it holds every ending (mcp_session_end_count).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/redis_connection.hpp"
#include "util/crypto.hpp"

namespace asg {

// Invariant: when the hash's generation field says G, the hash holds every ending numbered G or
// less (expired sessions aside). It holds because the field is only written together with the
// endings it covers (MULTI/EXEC, WATCH-guarded when it moves by one), and because the hash is one
// key: a flush, a restart without persistence, an eviction or a failover to a lagging replica
// takes the generation away with the endings.
struct MirrorAnswer {
    bool ended = false;
    std::optional<std::int64_t> complete_through;  // the generation field; nullopt when it is absent
};

MirrorAnswer mirror_lookup(RedisConnection& redis, const Digest& key);
// After PostgreSQL recorded the ending numbered `generation`: adds it, and moves the generation
// field on when it covered every ending before it.
void mirror_add(RedisConnection& redis, const Digest& key, std::int64_t generation);
// Whether this caller may rebuild the mirror now (a short lock, so one node at a time does it).
bool mirror_claim_rebuild(RedisConnection& redis);
// Replaces the mirror, in one transaction, by `hex_keys` complete through `generation` (both read
// from one PostgreSQL snapshot); releases the rebuild lock.
void mirror_rebuild(RedisConnection& redis, std::int64_t generation, const std::vector<std::string>& hex_keys);

}  // namespace asg
