// AES-256-GCM with a random 96-bit nonce per value and a 128-bit tag.
#include "util/aead.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "util/crypto.hpp"

namespace asg {

namespace {
struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;
constexpr int kTagSize = 16;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

Sealed aead_seal(std::string_view key, std::string_view plaintext, std::string_view associated) {
    if (key.size() != 32) throw std::runtime_error("AES-256-GCM needs a 32-byte key");
    Sealed out{random_bytes(12), std::string(plaintext.size() + kTagSize, '\0')};
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0, total = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.ciphertext.data());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(out.nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(associated), static_cast<int>(associated.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), dst, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1)
        throw std::runtime_error("encryption failed");
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), dst + total, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + total + len) != 1)
        throw std::runtime_error("encryption failed");
    out.ciphertext.resize(static_cast<std::size_t>(total + len + kTagSize));
    return out;
}

std::string aead_open(std::string_view key, const Sealed& sealed, std::string_view associated) {
    if (key.size() != 32 || sealed.nonce.size() != 12 || sealed.ciphertext.size() < kTagSize)
        throw std::runtime_error("sealed value is malformed");
    std::size_t body = sealed.ciphertext.size() - kTagSize;
    std::string plain(body, '\0');
    std::string tag = sealed.ciphertext.substr(body);
    Ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0, total = 0;
    auto* dst = reinterpret_cast<unsigned char*>(plain.data());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(sealed.nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(associated), static_cast<int>(associated.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), dst, &len, bytes(sealed.ciphertext), static_cast<int>(body)) != 1)
        throw std::runtime_error("decryption failed");
    total = len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), dst + total, &len) != 1)
        throw std::runtime_error("secret cannot be decrypted: wrong master key or tampered data");
    plain.resize(static_cast<std::size_t>(total + len));
    return plain;
}

}  // namespace asg
