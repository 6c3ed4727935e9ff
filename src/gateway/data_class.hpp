// The data classes a gateway call may carry, least to most sensitive: one list for the gateway,
// the CLI and the MCP tools.
#pragma once
#include <string_view>

namespace asg {

inline constexpr std::string_view kDataClasses[] = {"public", "internal", "confidential", "restricted"};
inline constexpr char kDataClassList[] = "public, internal, confidential, restricted";

inline bool is_data_class(std::string_view c) {
    for (std::string_view k : kDataClasses)
        if (c == k) return true;
    return false;
}

}  // namespace asg
