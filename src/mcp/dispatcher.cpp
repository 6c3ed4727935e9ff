// JSON-RPC message classification and the MCP lifecycle methods (initialize and ping for the 2025
// revisions, server/discover for 2026-07-28).
#include "mcp/dispatcher.hpp"

#include "auth/session_token.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/modern_protocol.hpp"
#include "mcp/protocol_versions.hpp"

namespace asg {

const char kServerInstructions[] =
    "Asgard is your organisation's control plane for coding agents. First moves:\n"
    "1. list_standards, then get_standards: the engineering, security and workflow conventions "
    "your output must meet (read-only; guidance_list and recipe_list add advisory playbooks).\n"
    "2. seed_plan with the repo's languages and a one-line description, then seed_get for each "
    "file it returns, written to the path it gives.\n"
    "3. register_project before anything chargeable: it mints proj-YYYY-NNNN and makes you the owner.\n"
    "4. list_services, then request_resource: self-service types provision at once, review-tier "
    "types wait for an admin's approval.\n"
    "5. gateway_credential mints the project's LLM key. Inference is not an MCP tool: call "
    "POST /api/gateway/chat (OpenAI-compatible) with that key.\n"
    "6. get_secret reads a provisioned secret (audited, never logged).\n"
    "With a user token (asg_pat_...) pass project_id to project-scoped tools; with a project "
    "key (asg_...) omit it.";

static Json initialize(DispatchContext& ctx, const json_t* id, const json_t* params) {
    if (!json_is_object(params))
        return jsonrpc_error(id, kInvalidParams, "initialize needs params with protocolVersion");
    const json_t* requested = json_object_get(params, "protocolVersion");
    if (!json_is_string(requested))
        return jsonrpc_error(id, kInvalidParams, "params.protocolVersion must be a string");
    const char* version = negotiate_protocol_version(json_string_value(requested));
    SessionClaims claims;
    claims.token_id = ctx.principal.token_id;
    claims.issued_ms = ctx.now;
    claims.protocol_version = version;
    if (ctx.issues_sessions) ctx.new_session_id = issue_session(claims);
    ctx.negotiated_version = version;
    // Resource updates go out on a session's GET stream: over HTTP, not over stdio.
    int streams = ctx.event_streams ? 1 : 0;
    Json result = json_own(json_pack(
        "{s:s,s:{s:{s:b},s:{s:b,s:b},s:{s:b},s:{},s:{}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", version, "capabilities",
        "tools", "listChanged", 0, "resources", "subscribe", streams, "listChanged", streams, "prompts", "listChanged", 0,
        "completions", "logging", "serverInfo", "name", "asgard", "title", "Asgard", "version",
        ASG_VERSION, "instructions", kServerInstructions));
    return jsonrpc_result(id, std::move(result));
}

std::string reply_to_wire(const Reply& reply) {
    if (reply.raw_result.empty()) return json_to_string(reply.message.get());
    return "{\"jsonrpc\":\"2.0\",\"id\":" + json_to_string(json_object_get(reply.message.get(), "id")) +
           ",\"result\":" + reply.raw_result + "}";
}

// A 2026-07-28 request: no initialize, ping or session; server/discover; every result complete.
static Reply handle_modern_request(DispatchContext& ctx, const json_t* id, std::string_view method, const json_t* params) {
    if (method == "server/discover") return {jsonrpc_result(id, discover_result(ctx.event_streams)), {}};
    if (method == "tools/list") {
        std::string error;
        std::string page = tools_list(params, 50, error);
        if (page.empty()) return {jsonrpc_error(id, kInvalidParams, error), {}};
        return {json_own(json_pack("{s:s,s:O}", "jsonrpc", "2.0", "id", id)), complete_modern_raw(page, 3600000)};
    }
    if (method == "tools/call") {
        Json response = tools_call(ctx, id, params);
        json_t* result = json_object_get(response.get(), "result");
        if (json_is_object(result)) complete_modern_result(result);
        return {std::move(response), {}};
    }
    if (method == "resources/list" || method == "resources/templates/list" || method == "resources/read" ||
        method == "prompts/list" || method == "prompts/get" || method == "completion/complete") {
        Json response = method == "resources/list"        ? resources_list(ctx, id, params)
                         : method == "resources/read"      ? resources_read(ctx, id, params)
                         : method == "prompts/list"        ? prompts_list(id)
                         : method == "prompts/get"         ? prompts_get(id, params)
                         : method == "completion/complete" ? completion_complete(ctx, id, params)
                                                           : resource_templates_list(id);
        json_t* result = response ? json_object_get(response.get(), "result") : nullptr;
        if (json_is_object(result)) {
            complete_modern_result(result);
            if (method != "prompts/get" && method != "completion/complete") {  // the cacheable results
                json_object_set_new(result, "ttlMs", json_integer(60000));
                json_object_set_new(result, "cacheScope", json_string("private"));
            }
        }
        return {std::move(response), {}};
    }
    if (method == "initialize" || method == "ping")
        return {jsonrpc_error(id, kMethodNotFound, "Method not found: " + std::string(method) +
                                                       " is not part of 2026-07-28 (no handshake: every request carries its _meta; "
                                                       "or initialize with a 2025 revision)"),
                {}};
    return {jsonrpc_error(id, kMethodNotFound, "Method not found: " + std::string(method)), {}};
}

static Reply handle_request(DispatchContext& ctx, const json_t* id, std::string_view method,
                            const json_t* params) {
    if (params != nullptr && !json_is_object(params))
        return {jsonrpc_error(id, kInvalidParams, "params must be an object"), {}};
    if (ctx.modern) return handle_modern_request(ctx, id, method, params);
    if (method == "initialize") {
        if (ctx.in_batch)
            return {jsonrpc_error(id, kInvalidRequest, "initialize must not be part of a JSON-RPC batch"), {}};
        return {initialize(ctx, id, params), {}};
    }
    if (method == "ping") return {jsonrpc_result(id, json_own(json_object())), {}};
    if (method == "logging/setLevel") {
        // Accepted and checked; Asgard sends no notifications/message (its logs are the operator's,
        // in nginx's error log), so the level changes nothing a client sees. Gone in 2026-07-28.
        std::string_view level = json_member_string(params, "level");
        for (std::string_view known : {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"})
            if (level == known) return {jsonrpc_result(id, json_own(json_object())), {}};
        return {jsonrpc_error(id, kInvalidParams, "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency"), {}};
    }
    if (method == "tools/list") {
        std::string error;
        std::string page = tools_list(params, 50, error);
        if (page.empty()) return {jsonrpc_error(id, kInvalidParams, error), {}};
        return {json_own(json_pack("{s:s,s:O}", "jsonrpc", "2.0", "id", id)), std::move(page)};
    }
    if (method == "tools/call") return {tools_call(ctx, id, params), {}};
    if (method == "resources/list") return {resources_list(ctx, id, params), {}};
    if (method == "resources/templates/list") return {resource_templates_list(id), {}};
    if (method == "resources/read") return {resources_read(ctx, id, params), {}};
    if (method == "resources/subscribe" || method == "resources/unsubscribe")
        return {resources_subscription(ctx, id, params, method == "resources/subscribe"), {}};
    if (method == "prompts/list") return {prompts_list(id), {}};
    if (method == "prompts/get") return {prompts_get(id, params), {}};
    if (method == "completion/complete") return {completion_complete(ctx, id, params), {}};
    return {jsonrpc_error(id, kMethodNotFound, "Method not found: " + std::string(method)), {}};
}

static Reply error_reply(const json_t* id, int code, std::string_view message) {
    return {jsonrpc_error(id, code, message), {}};
}

Reply dispatch_message(DispatchContext& ctx, const json_t* message) {
    if (!json_is_object(message))
        return error_reply(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
    const json_t* id = json_object_get(message, "id");
    const json_t* method = json_object_get(message, "method");
    const json_t* version = json_object_get(message, "jsonrpc");
    if (!json_is_string(version) || std::string_view(json_string_value(version)) != "2.0")
        return error_reply(jsonrpc_id_valid(id) ? id : nullptr, kInvalidRequest,
                             "jsonrpc must be \"2.0\"");
    if (method == nullptr) {
        // A client's response to a server request: accepted, nothing to answer.
        bool is_response = (json_object_get(message, "result") || json_object_get(message, "error"));
        if (is_response && (jsonrpc_id_valid(id) || json_is_null(id))) return {};
        return error_reply(jsonrpc_id_valid(id) ? id : nullptr, kInvalidRequest,
                             "a JSON-RPC request needs a method");
    }
    if (!json_is_string(method))
        return error_reply(jsonrpc_id_valid(id) ? id : nullptr, kInvalidRequest, "method must be a string");
    if (id == nullptr) return {};  // a notification: notifications/initialized, cancelled, ...
    if (!jsonrpc_id_valid(id))
        return error_reply(nullptr, kInvalidRequest, "id must be a string or an integer");
    return handle_request(ctx, id, json_string_value(method), json_object_get(message, "params"));
}

}  // namespace asg
