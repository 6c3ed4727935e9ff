/* libFuzzer target: arbitrary bytes as an Authorization header (asg_auth_parse_header) and as an
 * Mcp-Session-Id, raw and spliced into a genuine session id (asg_mcp_handle, asg_session_cache_key). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgard.h"
#include "../unit/offline_core.h"

#define NOW_MS 1700000000000LL

static const char kPing[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
static asg_principal_t g_principal;
static char g_sid[200];

static asg_str_t str(const char *text) {
    asg_str_t s = {text, text ? strlen(text) : 0};
    return s;
}

static asg_mcp_request_t request(const char *method, const char *body, const char *sid, size_t sid_len) {
    asg_mcp_request_t req;
    memset(&req, 0, sizeof req);
    req.http_method = str(method);
    req.body = str(body);
    req.content_type = str("application/json");
    req.accept = str("application/json, text/event-stream");
    req.session_id.data = sid;
    req.session_id.len = sid_len;
    req.principal = &g_principal;
    req.session_state = ASG_SESSION_LIVE;
    req.allow_io = 0;
    req.now_ms = NOW_MS;
    return req;
}

/* Sends a ping and a DELETE in session sid: only the genuine id may succeed. */
static void use_session(const char *sid, size_t len) {
    int genuine = len == strlen(g_sid) && memcmp(sid, g_sid, len) == 0;
    asg_mcp_request_t req = request("POST", kPing, sid, len);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    int expected = genuine ? 200 : len == 0 ? 400 : 404;
    if (out.needs_io || out.http_status != expected) {
        fprintf(stderr, "fuzz_token: ping with a %zu-byte session id: HTTP %d (needs_io %d), expected %d\n", len,
                out.http_status, out.needs_io, expected);
        abort();
    }
    asg_free(out.body);

    req = request("DELETE", NULL, sid, len);
    asg_mcp_handle(&req, &out);
    if (genuine ? !out.needs_io : (out.needs_io || out.http_status != expected)) {
        fprintf(stderr, "fuzz_token: DELETE with a %zu-byte session id: HTTP %d (needs_io %d)\n", len,
                out.http_status, out.needs_io);
        abort();
    }
    asg_free(out.body);

    unsigned char key[32];
    asg_session_cache_key(sid, len, key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[256] = "";
    if (asg_test_configure_offline_core(err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_token: asg_core_configure: %s\n", err);
        exit(1);
    }
    memset(&g_principal, 0, sizeof g_principal);
    g_principal.status = ASG_AUTH_OK;
    g_principal.kind = ASG_CRED_PROJECT;
    g_principal.token_id = 42;
    asg_mcp_request_t req = request("POST",
                                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                                    "\"params\":{\"protocolVersion\":\"2025-06-18\"}}",
                                    NULL, 0);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    if (out.http_status != 200 || out.session_id[0] == '\0') {
        fprintf(stderr, "fuzz_token: initialize failed (HTTP %d)\n", out.http_status);
        exit(1);
    }
    memcpy(g_sid, out.session_id, sizeof g_sid);
    asg_free(out.body);
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;

    unsigned char digest[32];
    asg_auth_status_t status = asg_auth_parse_header(text, size, digest);
    if (status < ASG_AUTH_OK || status > ASG_AUTH_BAD_CHECKSUM || (size == 0) != (status == ASG_AUTH_MISSING)) {
        fprintf(stderr, "fuzz_token: asg_auth_parse_header returned %d for %zu bytes\n", (int)status, size);
        abort();
    }
    if (status != ASG_AUTH_OK) {
        asg_http_error_t error;
        if (asg_auth_error(status, &error) != 0 || error.http_status != 401) abort();
        asg_free(error.body);
    }

    use_session(text, size);

    /* Spliced: the first byte picks a position in the genuine id, the rest overwrites it from there. */
    if (size > 1) {
        char spliced[200];
        size_t len = strlen(g_sid);
        memcpy(spliced, g_sid, len);
        size_t at = data[0] % len;
        size_t n = size - 1 < sizeof spliced - at ? size - 1 : sizeof spliced - at;
        memcpy(spliced + at, data + 1, n);
        if (at + n > len) len = at + n;
        use_session(spliced, len);
    }
    return 0;
}
