// Whether an MCP session was ended: PostgreSQL's record, checked through its Redis mirror when
// the mirror is complete (its generation is PostgreSQL's, as this worker read it at most
// kGenerationFreshMs ago), otherwise in PostgreSQL itself (and the mirror rebuilt).
#include "mcp/session_store.hpp"

#include <atomic>

#include "config/runtime_config.hpp"
#include "mcp/ended_session_mirror.hpp"
#include "store/pg_connection.hpp"
#include "store/redis_connection.hpp"

namespace asg {

namespace {

// An ending is visible to a check at most this long after it committed, even when its Redis
// write was lost; with kLiveSessionCacheMs this bounds the time to refusal on every node.
constexpr std::int64_t kGenerationFreshMs = 400;
// A worker notes "Redis was not used" in the error log at most this often.
constexpr std::int64_t kNoteEveryMs = 10000;

const char kEndSql[] =
    "WITH ended AS ("
    "  INSERT INTO mcp_ended_sessions (session_key, issued_at)"
    "  VALUES ($1, to_timestamp($2::bigint / 1000.0)) ON CONFLICT DO NOTHING RETURNING 1)"
    " UPDATE mcp_session_end_count SET generation = generation + 1"
    " WHERE EXISTS (SELECT FROM ended) RETURNING generation";
const char kEndedSql[] = "SELECT 1 FROM mcp_ended_sessions WHERE session_key = $1";
const char kGenerationSql[] = "SELECT generation FROM mcp_session_end_count";
// One statement, so one snapshot: the generation and every ending it counts (expired ones aside:
// a session expires session_ttl after it was issued; an hour more covers the nodes' clocks).
const char kSnapshotSql[] =
    "SELECT c.generation, encode(e.session_key, 'hex') FROM mcp_session_end_count c"
    " LEFT JOIN mcp_ended_sessions e"
    " ON e.issued_at > now() - interval '1 hour' - $1::bigint * interval '1 millisecond'";
const char kPruneSql[] =
    "DELETE FROM mcp_ended_sessions WHERE issued_at < now() - interval '1 hour' - $1::bigint * interval '1 millisecond'";

// This worker's latest read of PostgreSQL's generation, and when that read started; both only grow.
std::atomic<std::int64_t> g_generation{0};
std::atomic<std::int64_t> g_generation_read_at{0};
std::atomic<std::int64_t> g_last_note_at{0};

void raise_to(std::atomic<std::int64_t>& a, std::int64_t value) {
    std::int64_t seen = a.load();
    while (seen < value && !a.compare_exchange_weak(seen, value)) {
    }
}

// PostgreSQL's generation as of kGenerationFreshMs ago or later.
std::int64_t current_generation() {
    std::int64_t now = now_ms();
    std::int64_t read_at = g_generation_read_at.load();
    if (read_at != 0 && now - read_at < kGenerationFreshMs) return g_generation.load();
    std::int64_t generation = thread_pg().exec(kGenerationSql).int64(0, 0);
    raise_to(g_generation, generation);
    raise_to(g_generation_read_at, now);
    return g_generation.load();
}

std::string ttl_param() { return std::to_string(runtime_config()->session_ttl_ms); }

void rebuild_mirror(RedisConnection& redis) {
    if (!mirror_claim_rebuild(redis)) return;
    PgResult rows = thread_pg().exec(kSnapshotSql, {ttl_param()});
    std::vector<std::string> keys;
    for (int i = 0; i < rows.rows(); ++i)
        if (!rows.is_null(i, 1)) keys.push_back(rows.text(i, 1));
    mirror_rebuild(redis, rows.int64(0, 0), keys);
}

std::string throttled(const std::string& note) {
    std::int64_t now = now_ms(), last = g_last_note_at.load();
    if (now - last < kNoteEveryMs || !g_last_note_at.compare_exchange_strong(last, now)) return "";
    return note;
}

}  // namespace

Digest session_cache_key(std::string_view session_id) {
    return sha256("asgard/mcp-session/" + std::string(session_id));
}

SessionLookup session_lookup(const Digest& key) {
    SessionLookup out;
    RedisConnection* redis = nullptr;
    MirrorAnswer mirror;
    try {
        redis = &thread_redis();
        mirror = mirror_lookup(*redis, key);
        if (mirror.ended) {
            out.ended = true;
            return out;
        }
    } catch (const RedisError& e) {
        redis = nullptr;
        out.note = throttled(std::string("asgard: session check asks PostgreSQL, Redis failed: ") + e.what());
    }
    std::int64_t generation = current_generation();
    if (redis != nullptr && mirror.complete_through && *mirror.complete_through >= generation) return out;
    out.ended = thread_pg().exec(kEndedSql, {pg_bytea(as_view(key))}).rows() > 0;
    if (redis != nullptr) {
        try {
            rebuild_mirror(*redis);
        } catch (const std::runtime_error& e) {  // RedisError or PgError: the answer stands
            out.note = throttled(std::string("asgard: rebuilding the ended sessions in Redis: ") + e.what());
        }
    }
    return out;
}

SessionEnding session_end(const Digest& key, std::int64_t issued_ms) {
    SessionEnding out;
    PgResult ended = thread_pg().exec(kEndSql, {pg_bytea(as_view(key)), std::to_string(issued_ms)});
    if (ended.rows() == 0) return out;
    out.ended_now = true;
    std::int64_t generation = ended.int64(0, 0);
    bool prune = generation % 256 == 0;  // now and then: expired endings leave PostgreSQL and Redis
    if (prune) {
        try {
            thread_pg().exec(kPruneSql, {ttl_param()});
        } catch (const PgError& e) {
            out.note = std::string("asgard: pruning expired ended sessions: ") + e.what();
        }
    }
    try {
        RedisConnection& redis = thread_redis();
        mirror_add(redis, key, generation);
        if (prune) rebuild_mirror(redis);
    } catch (const RedisError& e) {
        out.note = std::string("asgard: session end recorded in PostgreSQL, not in Redis (checks ask PostgreSQL): ") +
                   e.what();
    } catch (const PgError& e) {
        out.note = std::string("asgard: rebuilding the ended sessions in Redis: ") + e.what();
    }
    return out;
}

}  // namespace asg
