// Bearer authentication: scheme and format checks, principal lookup, error vocabulary.
#include "auth/bearer_auth.hpp"

#include <cstring>
#include <strings.h>

#include "auth/token_format.hpp"
#include "store/pg_connection.hpp"

namespace asg {

static constexpr std::size_t kMaxTokenLength = 256;

asg_auth_status_t parse_bearer_header(const char* value, std::size_t len, Digest& digest, bool with_checksum) {
    if (value == nullptr || len == 0) return ASG_AUTH_MISSING;
    std::string_view header(value, len);
    std::size_t space = header.find(' ');
    std::string_view scheme = header.substr(0, space);
    if (scheme.size() != 6 || strncasecmp(scheme.data(), "Bearer", 6) != 0)
        return ASG_AUTH_NOT_BEARER;
    if (space == std::string_view::npos) return ASG_AUTH_MALFORMED;
    std::string_view token = header.substr(space + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.empty() || token.size() > kMaxTokenLength) return ASG_AUTH_MALFORMED;
    TokenKind kind;
    asg_auth_status_t status = check_token_format(token, kind, with_checksum);
    if (status == ASG_AUTH_OK) digest = sha256(token);
    return status;
}

asg_principal_t lookup_principal(const Digest& digest) {
    asg_principal_t p;
    std::memset(&p, 0, sizeof p);
    auto rows = thread_pg().exec(
        "SELECT t.id, t.kind, coalesce(t.user_id, 0), coalesce(u.name, ''),"
        " coalesce(u.is_admin, false), coalesce(t.project_id, ''),"
        " coalesce((extract(epoch FROM t.expires_at) * 1000)::bigint, 0),"
        " t.revoked_at IS NOT NULL, t.may_provision, coalesce(t.default_data_class, ''), u.disabled_at IS NOT NULL"
        " FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.digest = $1",
        {pg_bytea(as_view(digest))});
    if (rows.rows() == 0) {
        p.status = ASG_AUTH_UNKNOWN;
        return p;
    }
    p.token_id = rows.int64(0, 0);
    p.kind = rows.text(0, 1) == "user" ? ASG_CRED_USER : ASG_CRED_PROJECT;
    p.user_id = rows.int64(0, 2);
    std::string name = rows.text(0, 3);
    std::strncpy(p.user_name, name.c_str(), sizeof p.user_name - 1);
    p.is_admin = rows.boolean(0, 4);
    std::string project = rows.text(0, 5);
    std::strncpy(p.project_id, project.c_str(), sizeof p.project_id - 1);
    p.expires_at_ms = rows.int64(0, 6);
    p.status = rows.boolean(0, 7) ? ASG_AUTH_REVOKED : rows.boolean(0, 10) ? ASG_AUTH_USER_DISABLED : ASG_AUTH_OK;
    p.may_provision = p.kind == ASG_CRED_PROJECT && rows.boolean(0, 8);
    std::string data_class = rows.text(0, 9);
    std::strncpy(p.default_data_class, data_class.c_str(), sizeof p.default_data_class - 1);
    return p;
}

std::string_view auth_error_code(asg_auth_status_t status) {
    switch (status) {
        case ASG_AUTH_MISSING: return "missing_token";
        case ASG_AUTH_NOT_BEARER: return "unsupported_scheme";
        case ASG_AUTH_MALFORMED: return "malformed_token";
        case ASG_AUTH_BAD_CHECKSUM: return "bad_checksum";
        case ASG_AUTH_UNKNOWN: return "unknown_token";
        case ASG_AUTH_REVOKED: return "revoked_token";
        case ASG_AUTH_USER_DISABLED: return "user_disabled";
        case ASG_AUTH_EXPIRED: return "expired_token";
        case ASG_AUTH_UNAVAILABLE: return "temporarily_unavailable";
        case ASG_AUTH_OK: break;
    }
    return "invalid_token";
}

std::string_view auth_error_description(asg_auth_status_t status) {
    switch (status) {
        case ASG_AUTH_MISSING:
            return "an Authorization: Bearer header with a user token (asg_pat_...) or a "
                   "project key (asg_...) is required";
        case ASG_AUTH_NOT_BEARER:
            return "the Authorization scheme must be Bearer";
        case ASG_AUTH_MALFORMED:
            return "the bearer token is not an Asgard token (asg_pat_... or asg_...)";
        case ASG_AUTH_BAD_CHECKSUM:
            return "the bearer token's checksum does not match: it was mistyped or truncated";
        case ASG_AUTH_UNKNOWN:
            return "the bearer token is not known to this Asgard";
        case ASG_AUTH_REVOKED:
            return "the bearer token has been revoked";
        case ASG_AUTH_USER_DISABLED:
            return "the bearer token's user has been disabled by an administrator";
        case ASG_AUTH_EXPIRED:
            return "the bearer token has expired";
        case ASG_AUTH_UNAVAILABLE:
            return "the credential store (PostgreSQL) is unavailable; try again shortly";
        case ASG_AUTH_OK: break;
    }
    return "invalid token";
}

}  // namespace asg
