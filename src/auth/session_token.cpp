// Session id encoding: base64url(payload) "." base64url(HMAC), verified in constant time.
#include "auth/session_token.hpp"

#include <cstring>

#include "config/runtime_config.hpp"
#include "mcp/protocol_versions.hpp"
#include "util/crypto.hpp"

namespace asg {

static constexpr unsigned char kFormat = 1;
static constexpr std::size_t kPayloadSize = 1 + 8 + 8 + 1 + 8;

static void put64(std::string& out, std::int64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (i * 8)) & 0xFF));
}

static std::int64_t get64(const std::string& in, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return static_cast<std::int64_t>(v);
}

std::string issue_session(const SessionClaims& claims) {
    auto config = runtime_config();
    std::string payload;
    payload.push_back(static_cast<char>(kFormat));
    put64(payload, claims.token_id);
    put64(payload, claims.issued_ms);
    payload.push_back(static_cast<char>(protocol_version_index(claims.protocol_version)));
    payload += random_bytes(8);
    auto mac = config->session_mac->sign(payload);
    return base64url_encode(payload) + "." + base64url_encode(as_view(mac));
}

SessionCheck verify_session(std::string_view session_id, std::int64_t token_id, std::int64_t now,
                            SessionClaims& claims) {
    if (session_id.size() > 200) return SessionCheck::malformed;
    std::size_t dot = session_id.find('.');
    if (dot == std::string_view::npos) return SessionCheck::malformed;
    std::string payload, mac;
    if (!base64url_decode(session_id.substr(0, dot), payload) ||
        !base64url_decode(session_id.substr(dot + 1), mac) || payload.size() != kPayloadSize ||
        static_cast<unsigned char>(payload[0]) != kFormat)
        return SessionCheck::malformed;
    auto config = runtime_config();
    if (!constant_time_equal(as_view(config->session_mac->sign(payload)), mac))
        return SessionCheck::forged;
    claims.token_id = get64(payload, 1);
    claims.issued_ms = get64(payload, 9);
    const char* version = protocol_version_at(static_cast<unsigned char>(payload[17]));
    if (version == nullptr) return SessionCheck::malformed;
    claims.protocol_version = version;
    if (claims.token_id != token_id) return SessionCheck::other_token;
    if (now - claims.issued_ms > config->session_ttl_ms || claims.issued_ms > now + 60000)
        return SessionCheck::expired;
    return SessionCheck::ok;
}

}  // namespace asg
