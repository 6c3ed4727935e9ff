// Redis keys asgard:mcp:ended:<sha256(session id)> with an expiry at the session's end of life.
#include "mcp/session_store.hpp"

#include "store/redis_connection.hpp"

namespace asg {

Digest session_cache_key(std::string_view session_id) {
    return sha256("asgard/mcp-session/" + std::string(session_id));
}

static std::string redis_key(const Digest& key) { return "asgard:mcp:ended:" + to_hex(as_view(key)); }

bool session_is_ended(const Digest& key) {
    auto reply = thread_redis().command({"EXISTS", redis_key(key)});
    return reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
}

bool session_end(const Digest& key, std::int64_t ttl_ms) {
    if (ttl_ms < 1000) ttl_ms = 1000;
    auto reply = thread_redis().command({"SET", redis_key(key), "1", "PX", std::to_string(ttl_ms), "NX"});
    return reply->type == REDIS_REPLY_STATUS;  // nil when the key already existed
}

}  // namespace asg
