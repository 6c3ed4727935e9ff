// Protocol revision lookup and negotiation.
#include "mcp/protocol_versions.hpp"

#include <string>

namespace asg {

static constexpr int kCount = sizeof kProtocolVersions / sizeof kProtocolVersions[0];

bool protocol_version_supported(std::string_view version) {
    for (const char* v : kProtocolVersions)
        if (version == v) return true;
    return false;
}

const char* negotiate_protocol_version(std::string_view requested) {
    for (const char* v : kProtocolVersions)
        if (requested == v) return v;
    return kLatestProtocolVersion;
}

int protocol_version_index(std::string_view version) {
    for (int i = 0; i < kCount; ++i)
        if (version == kProtocolVersions[i]) return i;
    return 0;
}

const char* protocol_version_at(int index) {
    return index >= 0 && index < kCount ? kProtocolVersions[index] : nullptr;
}

bool protocol_allows_batches(std::string_view version) { return version == "2025-03-26"; }

std::string supported_versions_text() {
    std::string out;
    for (const char* v : kProtocolVersions) {
        if (!out.empty()) out += ", ";
        out += v;
    }
    return out;
}

}  // namespace asg
