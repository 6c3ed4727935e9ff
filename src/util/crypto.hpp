// Hashing, HMAC, randomness and encodings, all through OpenSSL.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace asg {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);
std::string random_bytes(std::size_t count);  // throws on RNG failure
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);
bool base64url_decode(std::string_view text, std::string& out);

inline std::string_view as_view(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace asg
