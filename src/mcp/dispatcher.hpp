// The MCP method dispatcher: one JSON-RPC message in, one response (or none) out.
// Transport-free: the HTTP and stdio transports both call it, and it keeps no per-connection state.
#pragma once
#include <cstdint>
#include <string>

#include "asgard.h"
#include "mcp/progress.hpp"
#include "util/crypto.hpp"
#include "util/json_ptr.hpp"

namespace asg {

struct DispatchContext {
    explicit DispatchContext(const asg_principal_t& p) : principal(p) {}
    const asg_principal_t& principal;
    std::string protocol_version;  // the session's (or the request's) revision
    bool allow_io = false;         // false: answer only what needs no PostgreSQL/Redis
    std::int64_t now = 0;
    bool in_batch = false;
    bool modern = false;             // a 2026-07-28 request: stateless, results shaped as that revision says
    bool issues_sessions = true;     // false on stdio: one process is one session
    bool event_streams = false;      // HTTP: notifications go out on event streams (none over stdio)
    std::string default_project;     // stdio: $ASGARD_PROJECT
    ProgressSink* progress = nullptr;  // where a tools/call with a progressToken reports (none: no reports)
    // The request's Streamable HTTP session (2025 revisions): its key and end of life (0: none, as
    // on stdio or in 2026-07-28). Resource subscriptions belong to it.
    Digest session_key{};
    std::int64_t session_until_ms = 0;
    // Outputs.
    bool needs_io = false;            // a method needed I/O while allow_io was false
    std::string new_session_id;       // set by initialize
    std::string negotiated_version;   // set by initialize
    std::string log_line;             // a server-side failure worth logging
    bool unavailable = false;         // a store could not answer: a lone request's answer is a 503
};

// A response: a JSON-RPC message, whose "result" may instead be already serialised text
// (raw_result) for answers that never change, such as a tools/list page.
struct Reply {
    Json message;
    std::string raw_result;
    explicit operator bool() const { return message != nullptr; }
};
std::string reply_to_wire(const Reply& reply);

// Returns the response, or an empty Reply for a notification or a client's response.
Reply dispatch_message(DispatchContext& ctx, const json_t* message);

// tools/list and tools/call (mcp/tool_methods.cpp). tools_list returns the serialised result,
// or "" with error set for a bad cursor.
std::string tools_list(const json_t* params, std::size_t page_size, std::string& error);
Json tools_call(DispatchContext& ctx, const json_t* id, const json_t* params);

// resources/list, resources/templates/list and resources/read (mcp/resource_methods.cpp).
Json resources_list(DispatchContext& ctx, const json_t* id, const json_t* params);
Json resource_templates_list(const json_t* id);
Json resources_read(DispatchContext& ctx, const json_t* id, const json_t* params);
// resources/subscribe and resources/unsubscribe: the session's subscriptions, in PostgreSQL.
Json resources_subscription(DispatchContext& ctx, const json_t* id, const json_t* params, bool subscribe);
// prompts/list, prompts/get and completion/complete (mcp/prompt_methods.cpp).
Json prompts_list(const json_t* id);
Json prompts_get(const json_t* id, const json_t* params);
Json completion_complete(DispatchContext& ctx, const json_t* id, const json_t* params);
extern const char kServerInstructions[];

}  // namespace asg
