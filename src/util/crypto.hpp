// Hashing, HMAC, randomness and encodings, all through OpenSSL.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace asg {

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);

// An HMAC-SHA256 key prepared once (OpenSSL fetch and key schedule), then used from any thread.
class HmacKey {
public:
    explicit HmacKey(std::string_view key);
    ~HmacKey();
    HmacKey(const HmacKey&) = delete;
    HmacKey& operator=(const HmacKey&) = delete;
    Digest sign(std::string_view data) const;

private:
    ::evp_mac_ctx_st* prepared_;
};
std::string random_bytes(std::size_t count);  // throws on RNG failure
bool constant_time_equal(std::string_view a, std::string_view b);

std::string to_hex(std::string_view bytes);
// The bytes of lower- or upper-case hex (an odd last digit is ignored); throws std::invalid_argument
// on any other character.
std::string from_hex(std::string_view hex);
std::string base64url_encode(std::string_view bytes);
bool base64url_decode(std::string_view text, std::string& out);

inline std::string_view as_view(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace asg
