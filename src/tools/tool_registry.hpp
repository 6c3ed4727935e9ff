// The catalog of MCP tools: definitions with parsed schemas, looked up by name.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "tools/tool.hpp"

namespace asg {

struct RegisteredTool {
    ToolDef def;
    Json input_schema;
    Json output_schema;
    Json listing;  // the tools/list entry
};

const std::vector<RegisteredTool>& tool_catalog();
const RegisteredTool* find_tool(std::string_view name);
// The invalid_arguments error when `arguments` do not match the tool's input schema (the text MCP
// clients get), or nullopt.
std::optional<ToolResult> check_tool_arguments(const RegisteredTool& tool, const json_t* arguments);

// Tool groups, each defined in its own file.
void add_standards_tools(std::vector<ToolDef>& out);
void add_document_tools(std::vector<ToolDef>& out);
void add_seed_tools(std::vector<ToolDef>& out);
void add_project_tools(std::vector<ToolDef>& out);
void add_service_tools(std::vector<ToolDef>& out);
void add_credential_tools(std::vector<ToolDef>& out);

}  // namespace asg
