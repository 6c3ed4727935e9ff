// What a tool is: its MCP description, its schemas, and the function that runs it.
#pragma once
#include <jansson.h>

#include <functional>
#include <string>
#include <vector>

#include "asgard.h"
#include "util/json_ptr.hpp"

namespace asg {

struct ToolContext {
    const asg_principal_t& principal;
    std::string default_project;  // used when a project-scoped tool gets no project_id (stdio)
    // A person signed in to the dashboard (principal.token_id is 0: a browser session, not a
    // token): audited as user:NAME, as over MCP with a PAT.
    bool browser_session = false;
    // Tells the caller how the work goes, a sentence a step (MCP notifications/progress when the
    // request asked for them); empty otherwise.
    std::function<void(const std::string& message)> progress;
};

struct ToolResult {
    Json structured;         // structuredContent (an object)
    bool is_error = false;   // an isError result: structured is {"error": {code, message}}
    std::string error_text;  // the text block of an isError result
};

ToolResult tool_ok(Json structured);
ToolResult tool_error(const std::string& code, const std::string& message);

struct ToolDef {
    const char* name;
    const char* title;
    const char* description;
    const char* input_schema;   // JSON text
    const char* output_schema;  // JSON text
    bool read_only;
    bool destructive;
    bool idempotent;
    ToolResult (*run)(const ToolContext& ctx, const json_t* arguments);  // may block on I/O
};

}  // namespace asg
