// MCP 2026-07-28, the stateless revision, beside the 2025 ones: a request names its revision and
// the client's capabilities in params._meta (no initialize, no session), every result says its
// resultType and the server's identity, list results carry cache hints, and server/discover tells
// what the server speaks. Transport-free; the HTTP transport adds the header rules.
#pragma once
#include <string>
#include <string_view>

#include "util/json_ptr.hpp"

namespace asg {

inline constexpr const char* kModernProtocolVersions[] = {"2026-07-28"};
inline constexpr const char* kLatestModernProtocolVersion = "2026-07-28";

// The MCP error codes of 2026-07-28 (the range -32020..-32099 is the specification's).
enum ModernErrorCode {
    kHeaderMismatch = -32020,
    kMissingRequiredClientCapability = -32021,
    kUnsupportedProtocolVersion = -32022,
};

bool modern_version(std::string_view version);
// Every revision this server speaks, newest first, as a JSON array.
Json all_protocol_versions();
std::string all_protocol_versions_text();

// What a message's params._meta names as its revision: nullopt when it names none (a legacy
// message), else the text (which may be a revision this server does not speak).
struct MetaVersion {
    bool present = false;
    std::string version;
    bool valid_type = true;  // false: present but not a string
};
MetaVersion meta_protocol_version(const json_t* message);

// The error a modern request gets for its _meta, or nullptr when it is fine: the version must be
// one this server speaks (-32022, with the supported list) and clientCapabilities an object (-32602).
Json modern_meta_refusal(const json_t* id, const json_t* message);

Json unsupported_version_error(const json_t* id, std::string_view requested);
Json header_mismatch_error(const json_t* id, std::string_view message);

// A complete result as 2026-07-28 shapes it: resultType "complete" and the server's identity in
// _meta (added to `result` in place). `raw` is a result already serialised (tools/list pages);
// cacheable results (lists, discover) also get ttlMs and cacheScope.
void complete_modern_result(json_t* result);
std::string complete_modern_raw(const std::string& raw, long long ttl_ms);

// server/discover's result.
Json discover_result(bool event_streams);

// The name a Mcp-Name (or Mcp-Param-*) header stands for: the value itself, or the UTF-8 inside
// the =?base64?...?= sentinel; false when the sentinel's Base64 is not valid.
bool decode_header_value(std::string_view header, std::string& out);

}  // namespace asg
