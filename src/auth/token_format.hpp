// The credential format: asg_pat_ / asg_ + 30 random base62 + 6-char base62 CRC32 checksum.
#pragma once
#include <string>
#include <string_view>

#include "asgard.h"
#include "util/crypto.hpp"

namespace asg {

enum class TokenKind { user, project };

constexpr std::size_t kTokenRandomLength = 30;
constexpr std::size_t kTokenChecksumLength = 6;
constexpr std::size_t kDisplayPrefixLength = 12;

struct NewToken {
    std::string plaintext;       // shown once
    Digest digest;               // stored
    std::string display_prefix;  // stored, shown in listings
};

NewToken generate_token(TokenKind kind);

// Format and (unless told not to) checksum only (no I/O). kind is set when the status is ASG_AUTH_OK.
asg_auth_status_t check_token_format(std::string_view token, TokenKind& kind, bool with_checksum = true);

}  // namespace asg
