// AES-256-GCM sealing of secret values (OpenSSL EVP), with associated data binding each value to its owner.
#pragma once
#include <string>
#include <string_view>

namespace asg {

struct Sealed {
    std::string nonce;       // 12 random bytes
    std::string ciphertext;  // ciphertext followed by the 16-byte tag
};

Sealed aead_seal(std::string_view key32, std::string_view plaintext, std::string_view associated);
// Throws when the key, nonce, data or tag do not match.
std::string aead_open(std::string_view key32, const Sealed& sealed, std::string_view associated);

}  // namespace asg
