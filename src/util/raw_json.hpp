// The top-level members of a JSON object read straight from its text (no parse, no copy): what
// lets the gateway copy a request's untouched members byte for byte and replace one member of an
// answer in place. Meant for text a JSON parser has accepted (only strings and nesting are
// skipped); on any other text it stays within the bytes and says false.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace asg {

// The raw text of a top-level member: its key with the quotes, and its value.
struct RawMember {
    std::string_view key, value;
};

// The object's members in order; false when the text does not read as one object.
bool raw_members(std::string_view s, std::vector<RawMember>& out);

// The value of the first of `members` named `name` (without quotes, compared as written); empty
// when there is none (a member's value is never empty).
std::string_view find_raw_member(const std::vector<RawMember>& members, std::string_view name);

// The same read from an object's text: false when it is not an object or has no such member.
bool raw_member(std::string_view s, std::string_view name, std::string_view& value);

}  // namespace asg
