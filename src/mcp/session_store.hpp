// Ended MCP sessions: PostgreSQL decides (mcp_ended_sessions); the Redis mirror and the glue's
// shared-memory cache only speed the check up, so a Redis outage makes the check slower, never wrong.
#pragma once
#include <cstdint>
#include <string>

#include "util/crypto.hpp"

namespace asg {

// How long a node may trust "live" (the glue's cache entry): an ended session is refused on
// every node this long after its DELETE at most (one check's duration aside). "Ended" is final
// and cached for the session's whole lifetime.
constexpr std::int64_t kLiveSessionCacheMs = 500;

Digest session_cache_key(std::string_view session_id);

struct SessionLookup {
    bool ended = false;
    std::string note;  // why Redis was not used, for the error log ("" when it was, or logged lately)
};

// Blocking (thread pool). Throws PgError when PostgreSQL is needed and cannot answer.
SessionLookup session_lookup(const Digest& key);

struct SessionEnding {
    bool ended_now = false;  // false: it had already ended
    std::string note;        // the Redis mirror was not updated, and why ("" when it was)
};

// Records the end in PostgreSQL (throws PgError when it cannot), then in the Redis mirror (best effort).
SessionEnding session_end(const Digest& key, std::int64_t issued_ms);

}  // namespace asg
