/* Unit tests of MCP over Streamable HTTP through asg_mcp_handle: HTTP checks, JSON-RPC, sessions, tools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "asgard.h"
#include "offline_core.h"

#define NOW_MS 1700000000000LL
#define PARSE_ERROR (-32700)
#define INVALID_REQUEST (-32600)
#define METHOD_NOT_FOUND (-32601)
#define INVALID_PARAMS (-32602)
#define SESSION_NOT_FOUND (-32001)

static asg_principal_t g_principal7;
static asg_principal_t g_principal8;

static int configure_core(void **state) {
    char err[256] = "";
    memset(&g_principal7, 0, sizeof g_principal7);
    g_principal7.status = ASG_AUTH_OK;
    g_principal7.kind = ASG_CRED_USER;
    g_principal7.token_id = 7;
    g_principal7.user_id = 1;
    strcpy(g_principal7.user_name, "alice");
    g_principal8 = g_principal7;
    g_principal8.token_id = 8;
    return asg_test_configure_offline_core(err, sizeof err);
}

static asg_str_t str(const char *text) {
    asg_str_t s = {text, text ? strlen(text) : 0};
    return s;
}

/* A well-formed event-loop POST from token 7 carrying body, in session sid (NULL: none, state LIVE). */
static asg_mcp_request_t post(const char *body, const char *sid) {
    asg_mcp_request_t req;
    memset(&req, 0, sizeof req);
    req.http_method = str("POST");
    req.body = str(body);
    req.content_type = str("application/json");
    req.accept = str("application/json, text/event-stream");
    req.session_id = str(sid);
    req.principal = &g_principal7;
    req.session_state = sid ? ASG_SESSION_LIVE : ASG_SESSION_UNKNOWN;
    req.allow_io = 0;
    req.now_ms = NOW_MS;
    return req;
}

/* The response body as JSON (the caller decrefs); fails the test when it is not JSON. */
static json_t *body_json(const asg_mcp_response_t *out) {
    json_error_t error;
    assert_non_null(out->body);
    json_t *json = json_loadb(out->body, out->body_len, JSON_DECODE_ANY, &error);
    if (json == NULL) fail_msg("response body is not JSON: %s: %.*s", error.text, (int)out->body_len, out->body);
    assert_string_equal(out->content_type, "application/json");
    return json;
}

static int error_code_of(const json_t *response) {
    const json_t *code = json_object_get(json_object_get(response, "error"), "code");
    assert_true(json_is_integer(code));
    return (int)json_integer_value(code);
}

/* Expects an HTTP status and a single JSON-RPC error with a code; returns nothing. */
static void expect_error(const asg_mcp_request_t *req, int http_status, int code) {
    asg_mcp_response_t out;
    asg_mcp_handle(req, &out);
    assert_int_equal(out.needs_io, 0);
    assert_int_equal(out.http_status, http_status);
    json_t *json = body_json(&out);
    assert_int_equal(error_code_of(json), code);
    json_decref(json);
    asg_free(out.body);
}

/* POSTs body in session sid and returns its "result" member (decref the returned response). */
static json_t *call_ok(const char *body, const char *sid, json_t **result) {
    asg_mcp_request_t req = post(body, sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 0);
    assert_int_equal(out.http_status, 200);
    json_t *json = body_json(&out);
    asg_free(out.body);
    *result = json_object_get(json, "result");
    if (*result == NULL) fail_msg("no result in the response to %s", body);
    return json;
}

/* Initializes a session at a requested protocol version; sid receives its id. */
static void open_session(const char *version, char sid[200]) {
    char body[256];
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
             "\"capabilities\":{},\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}",
             version);
    asg_mcp_request_t req = post(body, NULL);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    assert_true(strlen(out.session_id) > 0);
    memcpy(sid, out.session_id, 200);
    asg_free(out.body);
}

/* The text of the first content block of a tools/call result. */
static const char *content_text(const json_t *result) {
    const json_t *text = json_object_get(json_array_get(json_object_get(result, "content"), 0), "text");
    assert_true(json_is_string(text));
    return json_string_value(text);
}

static const char kPing[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
static const char kPingBatch[] =
    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]";

/* ---- HTTP-level checks ---- */

static void put_is_405_with_allow_get_post_delete(void **state) {
    asg_mcp_request_t req = post(NULL, NULL);
    req.http_method = str("PUT");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 405);
    assert_string_equal(out.allow, "GET, POST, DELETE");
    asg_free(out.body);
}

static void get_opens_a_stream_only_on_a_session_and_with_io(void **state) {
    asg_mcp_request_t req = post(NULL, NULL);
    req.http_method = str("GET");
    req.accept = str("text/event-stream");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);   /* no session */
    assert_int_equal(out.opens_stream, 0);
    asg_free(out.body);

    char sid[200];
    open_session("2025-11-25", sid);
    req.session_id = str(sid);
    req.session_state = ASG_SESSION_LIVE;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);         /* the feed's head is read from PostgreSQL */
    assert_int_equal(out.opens_stream, 0);
    asg_free(out.body);

    req.accept = str("application/json");
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 406);
    asg_free(out.body);

    req.accept = str("text/event-stream");
    req.protocol_version = str("2026-07-28");
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 405);
    assert_string_equal(out.allow, "POST");
    asg_free(out.body);
}

static void post_with_text_plain_is_415(void **state) {
    asg_mcp_request_t req = post(kPing, NULL);
    req.content_type = str("text/plain");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 415);
    asg_free(out.body);
}

static void content_type_parameters_are_ignored(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPing, sid);
    req.content_type = str("Application/JSON; charset=utf-8");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    asg_free(out.body);
}

static void accept_without_event_stream_is_406(void **state) {
    asg_mcp_request_t req = post(kPing, NULL);
    req.accept = str("application/json");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 406);
    asg_free(out.body);
}

static void unsupported_protocol_version_header_is_400(void **state) {
    asg_mcp_request_t req = post(kPing, NULL);
    req.protocol_version = str("1999-01-01");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);
    json_t *json = body_json(&out);
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(json, "error"), "message")),
                           "1999-01-01"));
    assert_int_equal(error_code_of(json), -32022);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(json, "error"), "data"), "requested")),
                        "1999-01-01");
    assert_true(json_is_integer(json_object_get(json, "id")));  /* the error answers the request's id */
    json_decref(json);
    asg_free(out.body);
}

static void other_supported_protocol_version_header_is_accepted_on_a_session(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    const char *versions[] = {"2025-06-18", "2025-03-26", "2025-11-25"};
    for (size_t i = 0; i < 3; ++i) {
        asg_mcp_request_t req = post(kPing, sid);
        req.protocol_version = str(versions[i]);
        asg_mcp_response_t out;
        asg_mcp_handle(&req, &out);
        assert_int_equal(out.http_status, 200);
        asg_free(out.body);
    }
}

/* ---- JSON-RPC parsing ---- */

static void empty_body_is_parse_error(void **state) {
    asg_mcp_request_t req = post("", NULL);
    expect_error(&req, 400, PARSE_ERROR);
}

static void non_json_body_is_parse_error(void **state) {
    asg_mcp_request_t req = post("not json", NULL);
    expect_error(&req, 400, PARSE_ERROR);
}

static void empty_batch_is_invalid_request(void **state) {
    asg_mcp_request_t req = post("[]", NULL);
    expect_error(&req, 400, INVALID_REQUEST);
}

static void deeply_nested_json_is_parse_error(void **state) {
    size_t depth = 100000;
    char *body = malloc(2 * depth + 1);
    assert_non_null(body);
    memset(body, '[', depth);
    memset(body + depth, ']', depth);
    body[2 * depth] = '\0';
    asg_mcp_request_t req = post(body, NULL);
    expect_error(&req, 400, PARSE_ERROR);
    /* Objects too. */
    for (size_t i = 0; i < depth / 5; ++i) memcpy(body + 5 * i, "{\"a\":", 5);
    memset(body + depth, '}', depth / 5);
    req.body.len = depth + depth / 5;
    expect_error(&req, 400, PARSE_ERROR);
    free(body);
}

static void invalid_utf8_in_string_is_parse_error(void **state) {
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\xff\xfe\"}", NULL);
    expect_error(&req, 400, PARSE_ERROR);
    req = post("{\"jsonrpc\":\"2.0\",\"id\":\"\xc3\x28\",\"method\":\"ping\"}", NULL);
    expect_error(&req, 400, PARSE_ERROR);
}

static void body_length_is_respected_not_nul(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    /* The ping followed by garbage the length excludes. */
    char body[sizeof kPing + 8];
    memcpy(body, kPing, sizeof kPing - 1);
    memcpy(body + sizeof kPing - 1, "garbage", 8);
    asg_mcp_request_t req = post(body, sid);
    req.body.len = sizeof kPing - 1;
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    asg_free(out.body);
}

/* ---- initialize ---- */

static void initialize_returns_session_and_server_description(void **state) {
    asg_mcp_request_t req = post(
        "{\"jsonrpc\":\"2.0\",\"id\":\"init-1\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        "\"capabilities\":{},\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}",
        NULL);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    assert_true(strlen(out.session_id) > 0);
    json_t *json = body_json(&out);
    assert_string_equal(json_string_value(json_object_get(json, "id")), "init-1");
    json_t *result = json_object_get(json, "result");
    assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")), "2025-06-18");
    assert_string_equal(json_string_value(json_object_get(json_object_get(result, "serverInfo"), "name")), "asgard");
    assert_true(json_is_object(json_object_get(json_object_get(result, "capabilities"), "tools")));
    assert_true(json_is_string(json_object_get(result, "instructions")));
    assert_true(strlen(json_string_value(json_object_get(result, "instructions"))) > 0);
    json_decref(json);
    asg_free(out.body);
}

static void initialize_asks_glue_to_cache_the_live_session(void **state) {
    asg_mcp_request_t req = post(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}", NULL);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    assert_int_equal(out.cache_state, ASG_SESSION_LIVE);
    unsigned char key[32];
    asg_session_cache_key(out.session_id, strlen(out.session_id), key);
    assert_memory_equal(out.cache_key, key, 32);
    assert_true(out.cache_until_ms > NOW_MS);
    asg_free(out.body);
}

static void initialize_with_unknown_version_negotiates_latest(void **state) {
    json_t *result;
    json_t *json = call_ok(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2024-01-01\"}}",
        NULL, &result);
    assert_string_equal(json_string_value(json_object_get(result, "protocolVersion")), "2025-11-25");
    json_decref(json);
}

static void initialize_without_protocol_version_is_invalid_params(void **state) {
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", NULL);
    expect_error(&req, 200, INVALID_PARAMS);
}

static void each_initialize_issues_a_new_session(void **state) {
    char a[200], b[200];
    open_session("2025-06-18", a);
    open_session("2025-06-18", b);
    assert_string_not_equal(a, b);
}

/* ---- requests in a session ---- */

static void ping_answers_empty_result(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    json_t *result;
    json_t *json = call_ok(kPing, sid, &result);
    assert_true(json_is_object(result));
    assert_int_equal(json_object_size(result), 0);
    assert_int_equal(json_integer_value(json_object_get(json, "id")), 1);
    json_decref(json);
}

static void initialized_notification_is_202_without_body(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 202);
    assert_null(out.body);
    assert_int_equal(out.body_len, 0);
    asg_free(out.body);
}

static void client_response_message_is_202(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}", sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 202);
    assert_null(out.body);
}

static void null_id_is_invalid_request_with_null_id(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);
    json_t *json = body_json(&out);
    assert_int_equal(error_code_of(json), INVALID_REQUEST);
    assert_true(json_is_null(json_object_get(json, "id")));
    json_decref(json);
    asg_free(out.body);
}

static void object_id_is_invalid_request(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", sid);
    expect_error(&req, 400, INVALID_REQUEST);
}

static void request_without_method_is_invalid_request(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":3}", sid);
    expect_error(&req, 400, INVALID_REQUEST);
}

static void wrong_jsonrpc_version_is_invalid_request(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"ping\"}", sid);
    expect_error(&req, 400, INVALID_REQUEST);
}

static void unknown_method_is_method_not_found(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sampling/createMessage\"}", sid);
    expect_error(&req, 200, METHOD_NOT_FOUND);
}

static void string_params_are_invalid_params(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":\"x\"}", sid);
    expect_error(&req, 200, INVALID_PARAMS);
}

/* ---- tools ---- */

static void tools_list_describes_standards_tools(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    json_t *result;
    json_t *json = call_ok("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", sid, &result);
    const char *wanted[] = {"list_standards", "get_standards"};
    for (size_t w = 0; w < 2; ++w) {
        const json_t *found = NULL;
        size_t i;
        json_t *tool;
        json_array_foreach(json_object_get(result, "tools"), i, tool) {
            if (strcmp(json_string_value(json_object_get(tool, "name")), wanted[w]) == 0) found = tool;
        }
        if (found == NULL) fail_msg("tools/list lacks %s", wanted[w]);
        assert_true(json_is_string(json_object_get(found, "title")));
        assert_true(json_is_string(json_object_get(found, "description")));
        assert_true(json_is_object(json_object_get(found, "inputSchema")));
        assert_true(json_is_object(json_object_get(found, "outputSchema")));
        assert_true(json_is_true(json_object_get(json_object_get(found, "annotations"), "readOnlyHint")));
    }
    json_decref(json);
}

static void tools_list_with_garbage_cursor_is_invalid_params(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req =
        post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"garbage\"}}", sid);
    expect_error(&req, 200, INVALID_PARAMS);
}

static void gateway_chat_call_points_to_http_endpoint(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    json_t *result;
    json_t *json = call_ok(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"gateway_chat\",\"arguments\":{}}}",
        sid, &result);
    assert_true(json_is_true(json_object_get(result, "isError")));
    assert_non_null(strstr(content_text(result), "/api/gateway/chat"));
    json_decref(json);
}

static void unknown_tool_is_invalid_params(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"no_such_tool\",\"arguments\":{}}}",
        sid);
    expect_error(&req, 200, INVALID_PARAMS);
}

static void bad_tool_argument_is_tool_error_naming_the_field(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    json_t *result;
    json_t *json = call_ok(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"get_standards\","
        "\"arguments\":{\"name\":5}}}",
        sid, &result);
    assert_true(json_is_true(json_object_get(result, "isError")));
    assert_non_null(strstr(content_text(result), "arguments.name"));
    json_decref(json);
}

static void unknown_tool_argument_is_tool_error_naming_the_field(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    json_t *result;
    json_t *json = call_ok(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"list_standards\","
        "\"arguments\":{\"colour\":\"red\"}}}",
        sid, &result);
    assert_true(json_is_true(json_object_get(result, "isError")));
    assert_non_null(strstr(content_text(result), "arguments.colour"));
    json_decref(json);
}

static void valid_tool_call_on_event_loop_needs_io(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"list_standards\",\"arguments\":{}}}",
        sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);
    asg_free(out.body);
}

static void tool_call_with_progress_token_asks_for_a_progress_queue(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    asg_mcp_request_t req = post(
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"list_standards\","
        "\"arguments\":{},\"_meta\":{\"progressToken\":\"p-5\"}}}",
        sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);
    assert_int_equal(out.wants_progress, 1);
    asg_free(out.body);

    /* No token, or one that is neither a string nor an integer: no queue. */
    req = post("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"list_standards\",\"arguments\":{}}}", sid);
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);
    assert_int_equal(out.wants_progress, 0);
    asg_free(out.body);
    req = post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"list_standards\","
               "\"arguments\":{},\"_meta\":{\"progressToken\":[1]}}}", sid);
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.wants_progress, 0);
    asg_free(out.body);
}

static void progress_queue_frames_each_message_as_one_event(void **state) {
    asg_mcp_progress_t *p = asg_mcp_progress_new();
    assert_non_null(p);
    char *events;
    assert_int_equal(asg_mcp_progress_take(p, &events), 0);
    assert_null(events);
    /* A line break (only ever whitespace between JSON tokens) must not split the event. */
    static const char kAnswer[] = "{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":{}}";
    asg_mcp_progress_end(p, kAnswer, sizeof kAnswer - 1);
    asg_mcp_progress_end(p, "{}", 2);
    size_t len = asg_mcp_progress_take(p, &events);
    static const char kWant[] =
        "event: message\ndata: {\"jsonrpc\":\"2.0\", \"id\":1,\"result\":{}}\n\nevent: message\ndata: {}\n\n";
    assert_int_equal(len, sizeof kWant - 1);
    assert_memory_equal(events, kWant, len);
    asg_free(events);
    assert_int_equal(asg_mcp_progress_take(p, &events), 0);
    asg_mcp_progress_free(p);
}

/* ---- repeated members ---- */

/* Expects a 400 -32600 whose message contains want; id_want < 0: the id must be null. */
static void expect_duplicate(const char *body, const char *sid, json_int_t id_want, const char *want) {
    asg_mcp_request_t req = post(body, sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 0);
    assert_int_equal(out.http_status, 400);
    json_t *json = body_json(&out);
    assert_int_equal(error_code_of(json), INVALID_REQUEST);
    const json_t *id = json_object_get(json, "id");
    if (id_want < 0) {
        assert_true(json_is_null(id));
    } else {
        assert_true(json_is_integer(id));
        assert_int_equal(json_integer_value(id), id_want);
    }
    const char *message = json_string_value(json_object_get(json_object_get(json, "error"), "message"));
    if (strstr(message, want) == NULL) fail_msg("\"%s\" does not contain \"%s\"", message, want);
    json_decref(json);
    asg_free(out.body);
}

static void repeated_top_level_member_is_invalid_request_naming_it(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    expect_duplicate("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"method\":\"tools/list\"}", sid, 4,
                     "duplicate member \"method\"");
}

static void repeated_member_in_arguments_is_named_with_its_path(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    expect_duplicate("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"get_standards\","
                     "\"arguments\":{\"name\":\"security\", \"name\" :\"x\"}}}",
                     sid, 5, "duplicate member \"name\" in params.arguments");
    /* Escapes are decoded: "\u0061" and "a" are the same member. */
    expect_duplicate("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\",\"params\":{\"_meta\":{\"\\u0061\":1,\"a\":2}}}",
                     sid, 6, "duplicate member \"a\" in params._meta");
}

static void repeated_id_is_answered_with_id_null(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    expect_duplicate("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}", sid, -1, "duplicate member \"id\"");
}

static void repeated_member_in_a_batch_names_the_message(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    expect_duplicate("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
                     "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"x\":[1,{\"y\":1,\"y\":2}]}}]",
                     sid, -1, "duplicate member \"y\" in [1].params.x[1]");
}

static void repeated_member_in_initialize_is_refused(void **state) {
    expect_duplicate("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                     "\"protocolVersion\":\"2025-03-26\"}}",
                     NULL, 1, "duplicate member \"protocolVersion\" in params");
}

/* ---- batches ---- */

static void batch_is_rejected_after_2025_03_26(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPingBatch, sid);
    expect_error(&req, 400, INVALID_REQUEST);
}

static void batch_is_answered_with_array_in_2025_03_26(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    asg_mcp_request_t req = post(kPingBatch, sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    json_t *json = body_json(&out);
    assert_true(json_is_array(json));
    assert_int_equal(json_array_size(json), 2);
    for (size_t i = 0; i < 2; ++i) assert_true(json_is_object(json_object_get(json_array_get(json, i), "result")));
    json_decref(json);
    asg_free(out.body);
}

static void batch_of_notifications_is_202(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    asg_mcp_request_t req = post(
        "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}]",
        sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 202);
    assert_null(out.body);
}

static void initialize_inside_batch_is_invalid_request(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    asg_mcp_request_t req = post(
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\"}}]", sid);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    json_t *json = body_json(&out);
    assert_int_equal(error_code_of(json_array_get(json, 0)), INVALID_REQUEST);
    assert_string_equal(out.session_id, "");
    json_decref(json);
    asg_free(out.body);
}

/* ---- batch length and answer size caps ---- */

static void batch_over_max_batch_is_invalid_request(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    asg_mcp_request_t req = post(kPingBatch, sid);
    req.max_batch = 1;
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);
    json_t *json = body_json(&out);
    assert_true(json_is_object(json));
    assert_int_equal(error_code_of(json), INVALID_REQUEST);
    assert_true(json_is_null(json_object_get(json, "id")));
    const char *message = json_string_value(json_object_get(json_object_get(json, "error"), "message"));
    assert_non_null(strstr(message, "asgard_mcp_max_batch (1)"));
    json_decref(json);
    asg_free(out.body);
    req.max_batch = 2; /* exactly at the cap: answered */
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    asg_free(out.body);
}

/* Five pings, each answered in 36 bytes, under a 100-byte cap: two fit, the third's answer is
 * replaced by an error, the last two are not run. */
static void batch_answer_stops_at_max_response_size(void **state) {
    char sid[200];
    open_session("2025-03-26", sid);
    asg_mcp_request_t req = post(
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"},"
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
        "\"params\":{\"name\":\"list_standards\",\"arguments\":{}}}]",
        sid);
    req.max_response_size = 100;
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 0); /* the tool call that needs PostgreSQL is not run */
    assert_int_equal(out.http_status, 200);
    json_t *json = body_json(&out);
    assert_true(json_is_array(json));
    assert_int_equal(json_array_size(json), 5);
    for (size_t i = 0; i < 5; ++i) {
        const json_t *item = json_array_get(json, i);
        assert_int_equal(json_integer_value(json_object_get(item, "id")), (json_int_t)(i + 1));
        if (i < 2) {
            assert_true(json_is_object(json_object_get(item, "result")));
            continue;
        }
        assert_int_equal(error_code_of(item), -32000);
        const char *message = json_string_value(json_object_get(json_object_get(item, "error"), "message"));
        assert_non_null(strstr(message, "asgard_mcp_max_response_size (100 bytes)"));
        assert_non_null(strstr(message, "send fewer calls per batch"));
        assert_non_null(strstr(message, i == 2 ? "the request ran" : "not run"));
    }
    json_decref(json);
    asg_free(out.body);
}

static void single_answer_over_max_response_size_is_an_error_with_its_id(void **state) {
    char sid[200];
    open_session("2025-11-25", sid);
    asg_mcp_request_t req = post("{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"tools/list\"}", sid);
    req.max_response_size = 1024;
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 200);
    assert_true(out.body_len < 1024);
    json_t *json = body_json(&out);
    assert_int_equal(error_code_of(json), -32000);
    assert_string_equal(json_string_value(json_object_get(json, "id")), "big");
    json_decref(json);
    asg_free(out.body);
}

/* ---- sessions ---- */

static void request_without_session_is_400(void **state) {
    asg_mcp_request_t req = post(kPing, NULL);
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);
    asg_free(out.body);
}

static void forged_session_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    char *dot = strchr(sid, '.');
    assert_non_null(dot);
    /* A character inside the MAC (not its last, so the encoding stays canonical). */
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    asg_mcp_request_t req = post(kPing, sid);
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void session_with_changed_payload_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    sid[3] = sid[3] == 'A' ? 'B' : 'A';
    asg_mcp_request_t req = post(kPing, sid);
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void garbage_session_id_is_404(void **state) {
    asg_mcp_request_t req = post(kPing, "not-a-session");
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void session_of_another_token_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPing, sid);
    req.principal = &g_principal8;
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void ended_session_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPing, sid);
    req.session_state = ASG_SESSION_ENDED;
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void expired_session_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPing, sid);
    req.now_ms = NOW_MS + 3600000 + 1;
    expect_error(&req, 404, SESSION_NOT_FOUND);
}

static void uncached_session_on_event_loop_needs_io(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(kPing, sid);
    req.session_state = ASG_SESSION_UNKNOWN;
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);
    asg_free(out.body);
}

static void delete_without_session_is_400(void **state) {
    asg_mcp_request_t req = post(NULL, NULL);
    req.http_method = str("DELETE");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.http_status, 400);
    asg_free(out.body);
}

static void delete_with_valid_session_on_event_loop_needs_io(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    asg_mcp_request_t req = post(NULL, sid);
    req.http_method = str("DELETE");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 1);
    asg_free(out.body);
}

static void delete_of_forged_session_is_404(void **state) {
    char sid[200];
    open_session("2025-06-18", sid);
    char *dot = strchr(sid, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    asg_mcp_request_t req = post(NULL, sid);
    req.http_method = str("DELETE");
    asg_mcp_response_t out;
    asg_mcp_handle(&req, &out);
    assert_int_equal(out.needs_io, 0);
    assert_int_equal(out.http_status, 404);
    asg_free(out.body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_is_405_with_allow_get_post_delete),
        cmocka_unit_test(get_opens_a_stream_only_on_a_session_and_with_io),
        cmocka_unit_test(post_with_text_plain_is_415),
        cmocka_unit_test(content_type_parameters_are_ignored),
        cmocka_unit_test(accept_without_event_stream_is_406),
        cmocka_unit_test(unsupported_protocol_version_header_is_400),
        cmocka_unit_test(other_supported_protocol_version_header_is_accepted_on_a_session),
        cmocka_unit_test(empty_body_is_parse_error),
        cmocka_unit_test(non_json_body_is_parse_error),
        cmocka_unit_test(empty_batch_is_invalid_request),
        cmocka_unit_test(deeply_nested_json_is_parse_error),
        cmocka_unit_test(invalid_utf8_in_string_is_parse_error),
        cmocka_unit_test(body_length_is_respected_not_nul),
        cmocka_unit_test(initialize_returns_session_and_server_description),
        cmocka_unit_test(initialize_asks_glue_to_cache_the_live_session),
        cmocka_unit_test(initialize_with_unknown_version_negotiates_latest),
        cmocka_unit_test(initialize_without_protocol_version_is_invalid_params),
        cmocka_unit_test(each_initialize_issues_a_new_session),
        cmocka_unit_test(ping_answers_empty_result),
        cmocka_unit_test(initialized_notification_is_202_without_body),
        cmocka_unit_test(client_response_message_is_202),
        cmocka_unit_test(null_id_is_invalid_request_with_null_id),
        cmocka_unit_test(object_id_is_invalid_request),
        cmocka_unit_test(request_without_method_is_invalid_request),
        cmocka_unit_test(wrong_jsonrpc_version_is_invalid_request),
        cmocka_unit_test(unknown_method_is_method_not_found),
        cmocka_unit_test(string_params_are_invalid_params),
        cmocka_unit_test(tools_list_describes_standards_tools),
        cmocka_unit_test(tools_list_with_garbage_cursor_is_invalid_params),
        cmocka_unit_test(gateway_chat_call_points_to_http_endpoint),
        cmocka_unit_test(unknown_tool_is_invalid_params),
        cmocka_unit_test(bad_tool_argument_is_tool_error_naming_the_field),
        cmocka_unit_test(unknown_tool_argument_is_tool_error_naming_the_field),
        cmocka_unit_test(valid_tool_call_on_event_loop_needs_io),
        cmocka_unit_test(batch_is_rejected_after_2025_03_26),
        cmocka_unit_test(batch_is_answered_with_array_in_2025_03_26),
        cmocka_unit_test(batch_of_notifications_is_202),
        cmocka_unit_test(initialize_inside_batch_is_invalid_request),
        cmocka_unit_test(repeated_top_level_member_is_invalid_request_naming_it),
        cmocka_unit_test(repeated_member_in_arguments_is_named_with_its_path),
        cmocka_unit_test(repeated_id_is_answered_with_id_null),
        cmocka_unit_test(repeated_member_in_a_batch_names_the_message),
        cmocka_unit_test(repeated_member_in_initialize_is_refused),
        cmocka_unit_test(batch_over_max_batch_is_invalid_request),
        cmocka_unit_test(batch_answer_stops_at_max_response_size),
        cmocka_unit_test(single_answer_over_max_response_size_is_an_error_with_its_id),
        cmocka_unit_test(request_without_session_is_400),
        cmocka_unit_test(forged_session_is_404),
        cmocka_unit_test(session_with_changed_payload_is_404),
        cmocka_unit_test(garbage_session_id_is_404),
        cmocka_unit_test(session_of_another_token_is_404),
        cmocka_unit_test(ended_session_is_404),
        cmocka_unit_test(expired_session_is_404),
        cmocka_unit_test(uncached_session_on_event_loop_needs_io),
        cmocka_unit_test(delete_without_session_is_400),
        cmocka_unit_test(delete_with_valid_session_on_event_loop_needs_io),
        cmocka_unit_test(delete_of_forged_session_is_404),
        cmocka_unit_test(tool_call_with_progress_token_asks_for_a_progress_queue),
        cmocka_unit_test(progress_queue_frames_each_message_as_one_event),
    };
    return cmocka_run_group_tests(tests, configure_core, NULL);
}
