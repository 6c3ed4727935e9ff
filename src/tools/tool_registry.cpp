// Builds the tool catalog once: parses each tool's schemas and its tools/list entry.
#include "tools/tool_registry.hpp"

#include <stdexcept>

#include "mcp/schema_validator.hpp"

namespace asg {

ToolResult tool_ok(Json structured) {
    ToolResult r;
    r.structured = std::move(structured);
    return r;
}

ToolResult tool_error(const std::string& code, const std::string& raw_message) {
    std::string message = utf8_sanitized(raw_message);
    ToolResult r;
    r.is_error = true;
    r.error_text = message;
    r.structured = json_own(json_pack("{s:{s:s%,s:s%}}", "error", "code", code.data(), code.size(),
                                      "message", message.data(), message.size()));
    return r;
}

static Json parse_schema(const char* text, const char* tool) {
    json_error_t error;
    Json schema = json_own(json_loads(text, 0, &error));
    if (!schema) throw std::logic_error(std::string("bad schema in tool ") + tool + ": " + error.text);
    return schema;
}

// Every tool may answer with an isError result whose structuredContent is {"error": {code, message}};
// clients validate structuredContent against outputSchema even then, so the declared schema
// accepts either the tool's own result or that error object.
static Json with_error_alternative(Json schema) {
    json_t* properties = json_object_get(schema.get(), "properties");
    if (properties == nullptr) {
        properties = json_object();
        json_object_set_new(schema.get(), "properties", properties);
    }
    json_object_set_new(properties, "error", json_pack(
        "{s:s,s:s,s:[s,s],s:{s:{s:s,s:s},s:{s:s}}}", "type", "object", "description",
        "Present instead of the result when isError is true", "required", "code", "message", "properties",
        "code", "type", "string", "description", "machine-readable reason", "message", "type", "string"));
    json_t* required = json_object_get(schema.get(), "required");
    json_t* success = json_object();
    if (required != nullptr) json_object_set(success, "required", required);
    json_object_set_new(schema.get(), "anyOf", json_pack("[o,{s:[s]}]", success, "required", "error"));
    json_object_del(schema.get(), "required");
    return schema;
}

static std::vector<RegisteredTool> build_catalog() {
    std::vector<ToolDef> defs;
    // In the order of the seed's first moves.
    add_standards_tools(defs);
    add_document_tools(defs);
    add_seed_tools(defs);
    add_project_tools(defs);
    add_service_tools(defs);
    add_credential_tools(defs);
    std::vector<RegisteredTool> catalog;
    for (const ToolDef& def : defs) {
        RegisteredTool tool{def, parse_schema(def.input_schema, def.name),
                            with_error_alternative(parse_schema(def.output_schema, def.name)), nullptr};
        tool.listing = json_own(json_pack(
            "{s:s,s:s,s:s,s:O,s:O,s:{s:s,s:b,s:b,s:b,s:b}}", "name", def.name, "title", def.title,
            "description", def.description, "inputSchema", tool.input_schema.get(), "outputSchema",
            tool.output_schema.get(), "annotations", "title", def.title, "readOnlyHint",
            def.read_only, "destructiveHint", def.destructive, "idempotentHint", def.idempotent,
            "openWorldHint", 0));
        catalog.push_back(std::move(tool));
    }
    return catalog;
}

const std::vector<RegisteredTool>& tool_catalog() {
    static const std::vector<RegisteredTool> catalog = build_catalog();
    return catalog;
}

const RegisteredTool* find_tool(std::string_view name) {
    for (const auto& tool : tool_catalog())
        if (name == tool.def.name) return &tool;
    return nullptr;
}

std::optional<ToolResult> check_tool_arguments(const RegisteredTool& tool, const json_t* arguments) {
    std::string invalid = validate_against_schema(tool.input_schema.get(), arguments, "arguments");
    if (invalid.empty()) return std::nullopt;
    return tool_error("invalid_arguments", "Invalid arguments for " + std::string(tool.def.name) + ": " + invalid);
}

}  // namespace asg
