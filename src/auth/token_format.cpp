// Token generation and offline validation (prefix, length, alphabet, checksum).
#include "auth/token_format.hpp"

#include "util/base62.hpp"

namespace asg {

static constexpr std::string_view kUserPrefix = "asg_pat_";
static constexpr std::string_view kProjectPrefix = "asg_";

static std::string checksum(std::string_view prefix_and_random) {
    return base62_fixed(crc32(prefix_and_random), kTokenChecksumLength);
}

NewToken generate_token(TokenKind kind) {
    std::string body = std::string(kind == TokenKind::user ? kUserPrefix : kProjectPrefix) +
                       random_base62(kTokenRandomLength);
    body += checksum(body);
    NewToken out{body, sha256(body), body.substr(0, kDisplayPrefixLength)};
    return out;
}

asg_auth_status_t check_token_format(std::string_view token, TokenKind& kind, bool with_checksum) {
    std::string_view prefix;
    if (token.substr(0, kUserPrefix.size()) == kUserPrefix) {
        prefix = kUserPrefix;
        kind = TokenKind::user;
    } else if (token.substr(0, kProjectPrefix.size()) == kProjectPrefix) {
        prefix = kProjectPrefix;
        kind = TokenKind::project;
    } else {
        return ASG_AUTH_MALFORMED;
    }
    std::string_view rest = token.substr(prefix.size());
    if (rest.size() != kTokenRandomLength + kTokenChecksumLength || !is_base62(rest))
        return ASG_AUTH_MALFORMED;
    if (!with_checksum) return ASG_AUTH_OK;
    std::string_view head = token.substr(0, prefix.size() + kTokenRandomLength);
    if (checksum(head) != rest.substr(kTokenRandomLength)) return ASG_AUTH_BAD_CHECKSUM;
    return ASG_AUTH_OK;
}

}  // namespace asg
