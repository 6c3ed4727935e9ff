// Bearer authentication: header parsing, the PostgreSQL principal lookup and the 401 answers.
#pragma once
#include <string>
#include <string_view>

#include "asgard.h"
#include "util/crypto.hpp"

namespace asg {

// Scheme, format and (unless told not to) checksum, then the token's SHA-256 into digest.
asg_auth_status_t parse_bearer_header(const char* value, std::size_t len, Digest& digest, bool with_checksum = true);
asg_principal_t lookup_principal(const Digest& digest);  // blocking PostgreSQL
std::string_view auth_error_code(asg_auth_status_t status);
std::string_view auth_error_description(asg_auth_status_t status);

}  // namespace asg
