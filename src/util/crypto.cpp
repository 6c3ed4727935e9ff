// OpenSSL-backed digests, HMAC and CSPRNG plus hex/base64url codecs.
#include "util/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace asg {

// OpenSSL 3 looks algorithms up on every implicit use; fetch them once per process instead.
static const EVP_MD* sha256_algorithm() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) throw std::runtime_error("OpenSSL has no SHA256");
    return md;
}

static EVP_MAC* hmac_algorithm() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
    return mac;
}

Digest sha256(std::string_view data) {
    struct Free {
        void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
    };
    thread_local std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
    Digest out{};
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), sha256_algorithm(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1)
        throw std::runtime_error("sha256 failed");
    return out;
}

HmacKey::HmacKey(std::string_view key) : prepared_(EVP_MAC_CTX_new(hmac_algorithm())) {
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0), OSSL_PARAM_construct_end()};
    if (prepared_ == nullptr ||
        EVP_MAC_init(prepared_, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
        EVP_MAC_CTX_free(prepared_);
        throw std::runtime_error("hmac-sha256 key setup failed");
    }
}

HmacKey::~HmacKey() { EVP_MAC_CTX_free(prepared_); }

Digest HmacKey::sign(std::string_view data) const {
    Digest out{};
    std::size_t len = 0;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(prepared_);
    bool ok = ctx != nullptr &&
              EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
              EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok) throw std::runtime_error("hmac-sha256 failed");
    return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) { return HmacKey(key).sign(data); }

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
        throw std::runtime_error("random number generator failed");
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("not a hex digit");
}

std::string from_hex(std::string_view hex) {
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(hex_digit(hex[i]) << 4 | hex_digit(hex[i + 1])));
    return out;
}

static const char kB64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                     (unsigned char)bytes[i + 2];
        out += kB64Url[v >> 18 & 63];
        out += kB64Url[v >> 12 & 63];
        out += kB64Url[v >> 6 & 63];
        out += kB64Url[v & 63];
    }
    if (bytes.size() - i == 1) {
        unsigned v = (unsigned char)bytes[i] << 16;
        out += kB64Url[v >> 18 & 63];
        out += kB64Url[v >> 12 & 63];
    } else if (bytes.size() - i == 2) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
        out += kB64Url[v >> 18 & 63];
        out += kB64Url[v >> 12 & 63];
        out += kB64Url[v >> 6 & 63];
    }
    return out;
}

static int b64url_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

bool base64url_decode(std::string_view text, std::string& out) {
    if (text.size() % 4 == 1) return false;
    out.clear();
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = b64url_value(c);
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    // Reject non-canonical encodings (leftover bits must be zero).
    return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace asg
