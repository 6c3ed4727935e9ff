// Base62 encoding, unbiased random base62 strings, and the CRC32 used by token checksums.
#include "util/base62.hpp"

#include <zlib.h>

#include "util/crypto.hpp"

namespace asg {

const char kBase62Alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string random_base62(std::size_t length) {
    std::string out;
    out.reserve(length);
    while (out.size() < length) {
        std::string pool = random_bytes(length * 2);
        for (unsigned char c : pool) {
            if (c >= 248) continue;  // 248 = 62 * 4: rejection keeps the draw unbiased
            out.push_back(kBase62Alphabet[c % 62]);
            if (out.size() == length) break;
        }
    }
    return out;
}

std::string base62_fixed(std::uint64_t value, std::size_t width) {
    std::string out(width, '0');
    for (std::size_t i = width; i-- > 0;) {
        out[i] = kBase62Alphabet[value % 62];
        value /= 62;
    }
    return out;
}

bool is_base62(std::string_view text) {
    for (char c : text) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!ok) return false;
    }
    return true;
}

std::uint32_t crc32(std::string_view data) {
    return static_cast<std::uint32_t>(
        ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

}  // namespace asg
