// The C boundary (asgard.h): every entry point is noexcept and turns exceptions into answers.
#include "asgard.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "auth/bearer_auth.hpp"
#include "auth/token_format.hpp"
#include "config/runtime_config.hpp"
#include "gateway/gateway_errors.hpp"
#include "mcp/http_transport.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/session_store.hpp"
#include "store/pg_connection.hpp"
#include "util/json_ptr.hpp"

using namespace asg;

static void copy_error(char* err, size_t errlen, const std::string& message) {
    if (err == nullptr || errlen == 0) return;
    std::size_t n = std::min(errlen - 1, message.size());
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
}

extern "C" int asg_core_configure(const asg_core_config_t* cfg, char* err, size_t errlen) noexcept {
    try {
        auto config = std::make_shared<RuntimeConfig>();
        config->database_url = cfg->database_url ? cfg->database_url : "";
        if (cfg->redis_host) config->redis_host = cfg->redis_host;
        if (cfg->redis_port > 0) config->redis_port = cfg->redis_port;
        if (cfg->session_ttl_ms > 0) config->session_ttl_ms = cfg->session_ttl_ms;
        if (cfg->io_timeout_ms > 0) config->io_timeout_ms = cfg->io_timeout_ms;
        config->pg_timeout_ms = config->io_timeout_ms;
        if (cfg->master_key == nullptr || cfg->master_key_len < 32)
            throw std::runtime_error("no master key is configured (asgard_master_key_file)");
        config->master_key.assign(cfg->master_key, cfg->master_key_len);
        set_runtime_config(std::move(config));
        return 0;
    } catch (const std::exception& e) {
        copy_error(err, errlen, e.what());
        return -1;
    } catch (...) {
        copy_error(err, errlen, "unknown error");
        return -1;
    }
}

extern "C" int asg_master_key_load(const char* path, char* key, size_t* len, char* err,
                                   size_t errlen) noexcept {
    try {
        std::string loaded = load_master_key(path);
        if (loaded.size() > *len) throw std::runtime_error(std::string("master key file \"") + path + "\" is too long");
        std::memcpy(key, loaded.data(), loaded.size());
        *len = loaded.size();
        return 0;
    } catch (const std::exception& e) {
        copy_error(err, errlen, e.what());
        return -1;
    } catch (...) {
        copy_error(err, errlen, "unknown error");
        return -1;
    }
}

static asg_auth_status_t parse_header(const char* value, size_t len, unsigned char digest[32], bool with_checksum) noexcept {
    try {
        Digest d{};
        asg_auth_status_t status = parse_bearer_header(value, len, d, with_checksum);
        if (status == ASG_AUTH_OK) std::memcpy(digest, d.data(), d.size());
        return status;
    } catch (...) {
        return ASG_AUTH_MALFORMED;
    }
}

extern "C" asg_auth_status_t asg_auth_parse_header(const char* value, size_t len, unsigned char digest[32]) noexcept {
    return parse_header(value, len, digest, true);
}

extern "C" asg_auth_status_t asg_auth_digest_header(const char* value, size_t len, unsigned char digest[32]) noexcept {
    return parse_header(value, len, digest, false);
}

extern "C" void asg_auth_lookup(const unsigned char digest[32], asg_principal_t* out) noexcept {
    try {
        Digest d{};
        std::memcpy(d.data(), digest, d.size());
        *out = lookup_principal(d);
    } catch (...) {
        std::memset(out, 0, sizeof *out);
        out->status = ASG_AUTH_UNAVAILABLE;
    }
}

extern "C" asg_auth_status_t asg_auth_effective_status(const asg_principal_t* p, int64_t now_ms) noexcept {
    if (p->status == ASG_AUTH_OK && p->expires_at_ms != 0 && p->expires_at_ms <= now_ms)
        return ASG_AUTH_EXPIRED;
    return static_cast<asg_auth_status_t>(p->status);
}

static int set_error_body(asg_http_error_t* out, const std::string& body) {
    out->body = static_cast<char*>(std::malloc(body.size()));
    if (out->body == nullptr) return -1;
    std::memcpy(out->body, body.data(), body.size());
    out->body_len = body.size();
    return 0;
}

// The status and challenge of a failed authentication; the body is the caller's shape.
static int auth_error(asg_auth_status_t status, const std::string& body, asg_http_error_t* out) {
    if (set_error_body(out, body) != 0) return -1;
    if (status == ASG_AUTH_UNAVAILABLE) {
        out->http_status = 503;
        return 0;
    }
    out->http_status = 401;
    std::string description(auth_error_description(status));
    std::string challenge = status == ASG_AUTH_MISSING || status == ASG_AUTH_NOT_BEARER
                                ? "Bearer realm=\"asgard\""
                                : "Bearer realm=\"asgard\", error=\"invalid_token\", error_description=\"" +
                                      description + "\"";
    copy_error(out->www_authenticate, sizeof out->www_authenticate, challenge);
    return 0;
}

extern "C" int asg_auth_error(asg_auth_status_t status, asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    try {
        std::string code(auth_error_code(status));
        std::string description(auth_error_description(status));
        return auth_error(status, json_to_string(json_own(json_pack(
            "{s:s,s:s}", "error", code.c_str(), "error_description", description.c_str())).get()), out);
    } catch (...) {
        return -1;
    }
}

extern "C" int asg_gateway_auth_error(int api, asg_auth_status_t status, asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    try {
        const char* type = status == ASG_AUTH_UNAVAILABLE ? "service_unavailable" : "authentication_error";
        return auth_error(status, error_body(static_cast<Api>(api), status == ASG_AUTH_UNAVAILABLE ? 503 : 401,
                                             std::string(auth_error_description(status)), type,
                                             std::string(auth_error_code(status))), out);
    } catch (...) {
        return -1;
    }
}

extern "C" int asg_auth_throttled_error(int api, int64_t retry_after_s, asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    try {
        static constexpr const char* code = "too_many_failed_authentications";
        std::string message = "too many failed authentications from this address: retry after " +
                              std::to_string(retry_after_s) + " s";
        std::string body = api != 0 ? error_body(static_cast<Api>(api), 429, message, "rate_limit_error", code)
                                        : json_to_string(json_own(json_pack(
                                              "{s:s,s:s}", "error", code, "error_description", message.c_str())).get());
        out->http_status = 429;
        return set_error_body(out, body);
    } catch (...) {
        return -1;
    }
}

extern "C" void asg_tokens_touch(const int64_t* token_ids, size_t count) noexcept {
    try {
        if (count == 0) return;
        std::string ids = "{";
        for (size_t i = 0; i < count; ++i) ids += (i ? "," : "") + std::to_string(token_ids[i]);
        ids += "}";
        thread_pg().exec("UPDATE tokens SET last_used_at = now() WHERE id = ANY($1::bigint[])", {ids});
    } catch (...) {
        // last_used_at is best effort: losing one batch is harmless.
    }
}

extern "C" void asg_mcp_handle(const asg_mcp_request_t* req, asg_mcp_response_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    try {
        handle_mcp_http(*req, *out);
    } catch (const std::exception& e) {
        asg_free(out->body);
        asg_free(out->stream_filter);
        asg_free(out->stream_close);
        std::memset(out, 0, sizeof *out);
        copy_error(out->log_line, sizeof out->log_line, std::string("asgard: /mcp: ") + e.what());
        static const char kBody[] =
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"Internal error\"}}";
        out->http_status = 500;
        out->body = static_cast<char*>(std::malloc(sizeof kBody - 1));
        if (out->body) {
            std::memcpy(out->body, kBody, sizeof kBody - 1);
            out->body_len = sizeof kBody - 1;
        }
        copy_error(out->content_type, sizeof out->content_type, "application/json");
    } catch (...) {
        asg_free(out->body);
        asg_free(out->stream_filter);
        asg_free(out->stream_close);
        std::memset(out, 0, sizeof *out);
        out->http_status = 500;
    }
}

extern "C" void asg_session_cache_key(const char* session_id, size_t len, unsigned char key[32]) noexcept {
    try {
        Digest d = session_cache_key(std::string_view(session_id, len));
        std::memcpy(key, d.data(), d.size());
    } catch (...) {
        std::memset(key, 0, 32);
    }
}

extern "C" void asg_free(void* p) noexcept { std::free(p); }
