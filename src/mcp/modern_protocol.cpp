// The 2026-07-28 revision's per-request metadata, result shape, discovery and errors.
#include "mcp/modern_protocol.hpp"

#include <openssl/evp.h>

#include "asgard.h"
#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/protocol_versions.hpp"

namespace asg {

namespace {

constexpr const char* kVersionKey = "io.modelcontextprotocol/protocolVersion";
constexpr const char* kCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kServerInfoKey = "io.modelcontextprotocol/serverInfo";

const json_t* meta_of(const json_t* message) {
    const json_t* params = json_is_object(message) ? json_object_get(message, "params") : nullptr;
    const json_t* meta = json_is_object(params) ? json_object_get(params, "_meta") : nullptr;
    return json_is_object(meta) ? meta : nullptr;
}

json_t* server_info() {
    return json_pack("{s:s,s:s,s:s}", "name", "asgard", "title", "Asgard", "version", ASG_VERSION);
}

}  // namespace

bool modern_version(std::string_view version) {
    for (const char* v : kModernProtocolVersions)
        if (version == v) return true;
    return false;
}

Json all_protocol_versions() {
    Json list = json_own(json_array());
    for (const char* v : kModernProtocolVersions) json_array_append_new(list.get(), json_string(v));
    for (const char* v : kProtocolVersions) json_array_append_new(list.get(), json_string(v));
    return list;
}

std::string all_protocol_versions_text() {
    std::string out;
    for (const char* v : kModernProtocolVersions) out += std::string(out.empty() ? "" : ", ") + v;
    return out + ", " + supported_versions_text();
}

MetaVersion meta_protocol_version(const json_t* message) {
    MetaVersion out;
    const json_t* meta = meta_of(message);
    const json_t* version = meta ? json_object_get(meta, kVersionKey) : nullptr;
    if (version == nullptr) return out;
    out.present = true;
    out.valid_type = json_is_string(version);
    if (out.valid_type) out.version = json_string_value(version);
    return out;
}

Json unsupported_version_error(const json_t* id, std::string_view requested) {
    Json error = jsonrpc_error(id, kUnsupportedProtocolVersion,
                               "Unsupported protocol version " + std::string(requested) + " (supported: " + all_protocol_versions_text() + ")");
    json_object_set_new(json_object_get(error.get(), "error"), "data",
                        json_pack("{s:O,s:s%}", "supported", all_protocol_versions().get(), "requested", requested.data(), requested.size()));
    return error;
}

Json header_mismatch_error(const json_t* id, std::string_view message) {
    return jsonrpc_error(id, kHeaderMismatch, "Header mismatch: " + std::string(message));
}

Json modern_meta_refusal(const json_t* id, const json_t* message) {
    MetaVersion version = meta_protocol_version(message);
    if (!version.valid_type)
        return jsonrpc_error(id, kInvalidParams, std::string("Invalid params: _meta[\"") + kVersionKey + "\"] must be a string");
    if (!modern_version(version.version)) return unsupported_version_error(id, version.version);
    const json_t* capabilities = json_object_get(meta_of(message), kCapabilitiesKey);
    if (!json_is_object(capabilities))
        return jsonrpc_error(id, kInvalidParams,
                             std::string("Invalid params: _meta[\"") + kCapabilitiesKey + "\"] is required on every 2026-07-28 request (an object; {} for none)");
    return nullptr;
}

void complete_modern_result(json_t* result) {
    json_object_set_new(result, "resultType", json_string("complete"));
    json_t* meta = json_object_get(result, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(result, "_meta", meta);
    }
    json_object_set_new(meta, kServerInfoKey, server_info());
}

std::string complete_modern_raw(const std::string& raw, long long ttl_ms) {
    // raw is a serialised JSON object: the new members go in front of its own.
    Json meta = json_own(json_pack("{s:o}", kServerInfoKey, server_info()));
    std::string head = "{\"resultType\":\"complete\",\"_meta\":" + json_to_string(meta.get());
    if (ttl_ms >= 0) head += ",\"ttlMs\":" + std::to_string(ttl_ms) + ",\"cacheScope\":\"public\"";
    return raw.size() > 2 ? head + "," + raw.substr(1) : head + "}";
}

Json discover_result(bool event_streams) {
    int streams = event_streams ? 1 : 0;
    Json result = json_own(json_pack("{s:O,s:{s:{s:b},s:{s:b,s:b},s:{s:b},s:{}},s:s,s:I,s:s}", "supportedVersions", all_protocol_versions().get(),
                                     "capabilities", "tools", "listChanged", 0, "resources", "subscribe", streams, "listChanged", streams,
                                     "prompts", "listChanged", 0,
                                     "completions", "instructions", kServerInstructions, "ttlMs", (json_int_t)3600000,
                                     "cacheScope", "public"));
    complete_modern_result(result.get());
    return result;
}

bool decode_header_value(std::string_view header, std::string& out) {
    constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
    if (header.size() < kPrefix.size() + kSuffix.size() || header.substr(0, kPrefix.size()) != kPrefix ||
        header.substr(header.size() - kSuffix.size()) != kSuffix) {
        out.assign(header);
        return true;
    }
    std::string_view b64 = header.substr(kPrefix.size(), header.size() - kPrefix.size() - kSuffix.size());
    if (b64.size() % 4 != 0 || b64.size() > 8192) return false;
    std::string bytes(b64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    if (n < 0) return false;
    std::size_t pad = b64.empty() ? 0 : (b64.back() == '=') + (b64.size() > 1 && b64[b64.size() - 2] == '=');
    bytes.resize(static_cast<std::size_t>(n) - pad);
    out = std::move(bytes);
    return true;
}

}  // namespace asg
