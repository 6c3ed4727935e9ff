// Ended MCP sessions, remembered in Redis until the session would have expired anyway.
#pragma once
#include <cstdint>
#include <string>

#include "util/crypto.hpp"

namespace asg {

Digest session_cache_key(std::string_view session_id);
bool session_is_ended(const Digest& key);                           // blocking Redis
// Records the end; false when it had already ended.
bool session_end(const Digest& key, std::int64_t ttl_ms);           // blocking Redis

}  // namespace asg
