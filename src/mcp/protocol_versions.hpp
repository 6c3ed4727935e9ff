// The MCP protocol revisions Asgard speaks, newest first, and the negotiation rule.
#pragma once
#include <string_view>

namespace asg {

inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};
inline constexpr const char* kLatestProtocolVersion = "2025-11-25";
inline constexpr const char* kDefaultProtocolVersion = "2025-03-26";  // when a client names none

bool protocol_version_supported(std::string_view version);
// Echo a supported requested version, otherwise answer the latest.
const char* negotiate_protocol_version(std::string_view requested);
int protocol_version_index(std::string_view version);  // 0 when unknown
const char* protocol_version_at(int index);            // nullptr when out of range
bool protocol_allows_batches(std::string_view version);
std::string supported_versions_text();

}  // namespace asg
