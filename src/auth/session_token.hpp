// Stateless signed MCP session ids: HMAC-SHA256 over token id, issue time, version and nonce.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace asg {

struct SessionClaims {
    std::int64_t token_id = 0;
    std::int64_t issued_ms = 0;
    std::string protocol_version;
};

enum class SessionCheck { ok, malformed, forged, expired, other_token };

std::string issue_session(const SessionClaims& claims);
SessionCheck verify_session(std::string_view session_id, std::int64_t token_id, std::int64_t now,
                            SessionClaims& claims);

}  // namespace asg
