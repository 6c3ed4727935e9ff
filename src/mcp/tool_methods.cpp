// tools/list (cursor pagination) and tools/call (argument validation, execution, result shape).
#include <exception>
#include <vector>

#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/schema_validator.hpp"
#include "store/pg_connection.hpp"
#include "store/redis_connection.hpp"
#include "tools/tool_registry.hpp"
#include "util/crypto.hpp"

namespace asg {

static std::string encode_cursor(std::size_t offset) {
    return base64url_encode("tools:" + std::to_string(offset));
}

static bool decode_cursor(std::string_view cursor, std::size_t& offset) {
    std::string text;
    if (!base64url_decode(cursor, text) || text.rfind("tools:", 0) != 0 || text.size() > 16) return false;
    std::string digits = text.substr(6);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
    offset = std::stoul(digits);
    return offset <= tool_catalog().size();
}

// Every page of the catalog, serialised once: the catalog never changes while a process runs.
static std::vector<std::string> build_pages(std::size_t page_size) {
    const auto& catalog = tool_catalog();
    std::vector<std::string> pages;
    for (std::size_t offset = 0; offset == 0 || offset < catalog.size(); offset += page_size) {
        Json tools = json_own(json_array());
        std::size_t end = std::min(catalog.size(), offset + page_size);
        for (std::size_t i = offset; i < end; ++i) json_array_append(tools.get(), catalog[i].listing.get());
        Json result = json_own(json_pack("{s:O}", "tools", tools.get()));
        if (end < catalog.size())
            json_object_set_new(result.get(), "nextCursor", json_string(encode_cursor(end).c_str()));
        pages.push_back(json_to_string(result.get()));
    }
    return pages;
}

std::string tools_list(const json_t* params, std::size_t page_size, std::string& error) {
    std::size_t offset = 0;
    const json_t* cursor = params ? json_object_get(params, "cursor") : nullptr;
    if (cursor != nullptr && !json_is_null(cursor)) {
        if (!json_is_string(cursor) || !decode_cursor(json_string_value(cursor), offset) ||
            offset % page_size != 0) {
            error = "invalid cursor";
            return "";
        }
    }
    static const std::size_t cached_size = page_size;
    static const std::vector<std::string> cached = build_pages(page_size);
    const std::vector<std::string>& pages = page_size == cached_size ? cached : build_pages(page_size);
    if (offset / page_size >= pages.size()) {
        error = "invalid cursor";
        return "";
    }
    return pages[offset / page_size];
}

static Json call_result(const ToolResult& r) {
    std::string text = r.is_error ? r.error_text : json_to_string(r.structured.get());
    return json_own(json_pack("{s:[{s:s,s:s%}],s:O,s:b}", "content", "type", "text", "text",
                              text.data(), text.size(), "structuredContent", r.structured.get(),
                              "isError", r.is_error));
}

static const char kGatewayChatMoved[] =
    "gateway_chat is not an MCP tool: inference is service usage, not control plane. Mint the "
    "project's LLM key with gateway_credential, then call the OpenAI-compatible endpoint "
    "POST /api/gateway/chat on this Asgard host with \"Authorization: Bearer <project key>\" "
    "(body: model, messages, data_class).";

Json tools_call(DispatchContext& ctx, const json_t* id, const json_t* params) {
    if (!json_is_object(params)) return jsonrpc_error(id, kInvalidParams, "tools/call needs params with a tool name");
    const json_t* name = json_object_get(params, "name");
    if (!json_is_string(name)) return jsonrpc_error(id, kInvalidParams, "params.name must be a string");
    const json_t* arguments = json_object_get(params, "arguments");
    Json empty = json_own(json_object());
    if (arguments == nullptr || json_is_null(arguments)) arguments = empty.get();
    if (!json_is_object(arguments)) return jsonrpc_error(id, kInvalidParams, "params.arguments must be an object");
    std::string_view tool_name = json_string_value(name);
    if (tool_name == "gateway_chat")
        return jsonrpc_result(id, call_result(tool_error("not_an_mcp_tool", kGatewayChatMoved)));
    const RegisteredTool* tool = find_tool(tool_name);
    if (tool == nullptr) return jsonrpc_error(id, kInvalidParams, "Unknown tool: " + std::string(tool_name));
    if (auto invalid = check_tool_arguments(*tool, arguments)) return jsonrpc_result(id, call_result(*invalid));
    if (!ctx.allow_io) {
        ctx.needs_io = true;
        return nullptr;
    }
    ToolContext tool_ctx{ctx.principal, ctx.default_project, false, progress_reporter(ctx.progress, params)};
    try {
        return jsonrpc_result(id, call_result(tool->def.run(tool_ctx, arguments)));
    } catch (const PgError& e) {
        ctx.log_line = std::string("asgard: ") + tool->def.name + ": PostgreSQL: " + e.what();
        if (pg_unavailable(e)) {
            ctx.unavailable = true;
            return jsonrpc_error(id, kServerError,
                                 pg_timed_out(e)
                                     ? "Service Unavailable: Asgard's database did not answer in time (asgard_io_timeout); try again shortly"
                                     : "Service Unavailable: Asgard's database cannot be reached; try again shortly");
        }
        return jsonrpc_error(id, kInternalError, "Asgard's database is unavailable; try again shortly");
    } catch (const RedisError& e) {
        ctx.log_line = std::string("asgard: ") + tool->def.name + ": " + e.what();
        return jsonrpc_error(id, kInternalError, "Asgard's Redis is unavailable; try again shortly");
    } catch (const std::exception& e) {
        ctx.log_line = std::string("asgard: ") + tool->def.name + ": " + e.what();
        return jsonrpc_error(id, kInternalError, std::string("internal error in ") + tool->def.name);
    }
}

}  // namespace asg
