// Base62 alphabet: random strings and fixed-width encoding of integers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace asg {

extern const char kBase62Alphabet[];

std::string random_base62(std::size_t length);
std::string base62_fixed(std::uint64_t value, std::size_t width);
bool is_base62(std::string_view text);
std::uint32_t crc32(std::string_view data);

}  // namespace asg
