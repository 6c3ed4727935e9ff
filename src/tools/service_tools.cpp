// Service tools: list_services, request_resource, list_resources, get_resource, release_resource.
#include "mcp/schema_validator.hpp"
#include "provisioning/request_flow.hpp"
#include "store/audit_log.hpp"
#include "tools/tool_registry.hpp"
#include "tools/tool_support.hpp"

namespace asg {

static ToolResult run_list_services(const ToolContext&, const json_t*) {
    Json list = json_own(json_array());
    for (const auto& s : list_services(thread_pg(), true))
        json_array_append_new(list.get(), json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "type", s.type.c_str(), "title",
                                                    s.title.c_str(), "description", s.description.c_str(), "tier",
                                                    s.tier.c_str(), "parameters", parse_or_empty(s.parameters_json),
                                                    "price_usd_month", s.price_usd_month.c_str()));
    return tool_ok(json_own(json_pack("{s:O}", "services", list.get())));
}

static std::string known_services(PgConnection& db) {
    std::string names;
    for (const auto& s : list_services(db, true)) names += (names.empty() ? "" : ", ") + s.type;
    return names;
}

static ToolResult run_request_resource(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "request_resource";
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, tool, denial);
    if (!access) return denial;
    if (auto refused = refuse_key_provisioning(db, ctx, tool, access->project.id)) return std::move(*refused);
    std::string type = *arg_string(args, "service");
    auto service = find_service(db, type);
    if (!service || !service->enabled)
        return tool_error("unknown_service", "unknown service '" + type + "' (available: " + known_services(db) + ")");
    if (service->driver == "inference-gateway" && is_project_key(ctx))  // the driver mints the project's key
        return deny(db, ctx, tool, access->project.id, "project_key_forbidden",
                    "request_resource " + type + " needs a user token (asg_pat_...): it mints the project's key, "
                    "and a project key cannot mint or rotate keys");
    const json_t* params = json_object_get(args, "params");
    Json empty = json_own(json_object());
    if (params == nullptr) params = empty.get();
    Json schema = json_own(parse_or_empty(service->parameters_json));
    std::string invalid = validate_against_schema(schema.get(), params, "params");
    if (!invalid.empty())
        return tool_error("invalid_params", "Invalid params for service " + type + ": " + invalid);
    FlowResult flow;
    try {
        flow = submit_request(db, access->project.id, *service, params, arg_string(args, "justification"), actor_of(ctx),
                              tool, ctx.principal.token_id ? std::optional<std::int64_t>(ctx.principal.token_id) : std::nullopt,
                              ctx.progress);
    } catch (const ResourceNameTaken& taken) {
        return deny(db, ctx, tool, access->project.id, "already_exists", taken.what());
    }
    json_t* resource = resource_json(flow.request);
    Json out = json_own(json_pack("{s:o}", "resource", resource));
    if (!flow.one_time_credential.empty())
        json_object_set_new(out.get(), "credential", json_pack("{s:s,s:s}", "key", flow.one_time_credential.c_str(),
                                                               "note", "shown once: store it as the project's LLM key"));
    if (flow.request.state == "failed")
        return tool_error("provisioning_failed", "request " + flow.request.id + " failed: " + flow.request.reason);
    return tool_ok(std::move(out));
}

static ToolResult run_list_resources(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, "list_resources", denial);
    if (!access) return denial;
    Json list = json_own(json_array());
    for (const auto& r : list_requests(db, access->project.id, arg_string(args, "state")))
        json_array_append_new(list.get(), resource_json(r));
    return tool_ok(json_own(json_pack("{s:s,s:O}", "project_id", access->project.id.c_str(), "resources", list.get())));
}

static std::optional<ResourceRow> project_resource(PgConnection& db, const ProjectAccess& access, const json_t* args,
                                                   ToolResult& error) {
    std::string id = *arg_string(args, "resource_id");
    auto request = find_request(db, id);
    if (!request || request->project_id != access.project.id) {
        error = tool_error("not_found", "project " + access.project.id + " has no resource " + id);
        return std::nullopt;
    }
    return request;
}

static ToolResult run_get_resource(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, "get_resource", denial);
    if (!access) return denial;
    auto request = project_resource(db, *access, args, denial);
    if (!request) return denial;
    json_t* resource = resource_json(*request);
    json_t* events = json_array();
    for (const auto& e : request_events(db, request->id))
        json_array_append_new(events, json_drop_nulls(json_pack("{s:s,s:s?,s:s,s:s,s:s?}", "at", e.at.c_str(), "from",
                                                e.from_state.empty() ? nullptr : e.from_state.c_str(), "to",
                                                e.to_state.c_str(), "actor", e.actor.c_str(), "note",
                                                e.note.empty() ? nullptr : e.note.c_str())));
    json_object_set_new(resource, "events", events);
    return tool_ok(json_own(json_pack("{s:o}", "resource", resource)));
}

static ToolResult run_release_resource(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "release_resource";
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, tool, denial);
    if (!access) return denial;
    if (auto refused = refuse_key_provisioning(db, ctx, tool, access->project.id)) return std::move(*refused);
    auto request = project_resource(db, *access, args, denial);
    if (!request) return denial;
    if (request->state != "ready" && request->state != "pending_approval")
        return tool_error("invalid_state", "resource " + request->id + " is " + request->state +
                                               ": only a ready or pending resource can be released");
    ResourceRow released = release_request(db, *request, actor_of(ctx));
    audit_tool(db, ctx, tool, access->project.id, released.state == "failed" ? "error" : "ok",
               json_to_string(json_own(json_pack("{s:s,s:s}", "request", released.id.c_str(), "state", released.state.c_str())).get()));
    if (released.state == "failed")
        return tool_error("release_failed", "releasing " + released.id + " failed: " + released.reason);
    return tool_ok(json_own(json_pack("{s:o}", "resource", resource_json(released))));
}

static const char kResourceSchema[] =
    R"({"type":"object","required":["resource_id","project_id","service","state","params","outputs"],"properties":{)"
    R"("resource_id":{"type":"string"},"project_id":{"type":"string"},"service":{"type":"string"},"params":{"type":"object"},)"
    R"("state":{"type":"string","enum":["requested","pending_approval","approved","provisioning","ready","deprovisioning","deprovisioned","denied","cancelled","failed"]},)"
    R"("reason":{"type":"string"},"outputs":{"type":"object"},"requested_by":{"type":"string"},"price_usd_month":{"type":"string","description":"USD per month, exact decimal text"},)"
    R"("created":{"type":"string"},"updated":{"type":"string"},"events":{"type":"array"}}})";

static const char kProjectId[] =
    R"("project_id":{"type":"string","pattern":"^proj-[0-9]{4}-[0-9]{4,}$","maxLength":40,"description":"Required with a user token; omit with a project key."})";
static const char kResourceId[] = R"("resource_id":{"type":"string","pattern":"^req-[0-9]{6,}$","maxLength":40})";

void add_service_tools(std::vector<ToolDef>& out) {
    static const std::string one = std::string(R"({"type":"object","required":["resource"],"properties":{"resource":)") + kResourceSchema +
                                   R"(,"credential":{"type":"object","properties":{"key":{"type":"string"},"note":{"type":"string"}}}}})";
    static const std::string many = std::string(R"({"type":"object","required":["project_id","resources"],"properties":{"project_id":{"type":"string"},"resources":{"type":"array","items":)") +
                                    kResourceSchema + "}}}";
    static const std::string request_input = std::string(R"({"type":"object","additionalProperties":false,"required":["service"],"properties":{)") + kProjectId +
        R"(,"service":{"type":"string","maxLength":63,"description":"A service type from list_services"},)"
        R"("params":{"type":"object","description":"Parameters matching the service's parameters schema"},)"
        R"("justification":{"type":"string","maxLength":2000,"description":"Why; reviewers read it for review-tier services"}}})";
    static const std::string list_input = std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kProjectId +
        R"(,"state":{"type":"string","enum":["requested","pending_approval","approved","provisioning","ready","deprovisioning","deprovisioned","denied","cancelled","failed"]}}})";
    static const std::string one_input = std::string(R"({"type":"object","additionalProperties":false,"required":["resource_id"],"properties":{)") + kProjectId + "," + kResourceId + "}}";
    out.push_back({"list_services", "List services",
                   "What a project can provision: each service's type, tier (self-service provisions at once; review waits "
                   "for an admin's approval), parameters (JSON Schema) and monthly price in USD.",
                   R"({"type":"object","additionalProperties":false,"properties":{}})",
                   R"({"type":"object","required":["services"],"properties":{"services":{"type":"array","items":{"type":"object","required":["type","title","tier","parameters","price_usd_month"],)"
                   R"("properties":{"type":{"type":"string"},"title":{"type":"string"},"description":{"type":"string"},"tier":{"type":"string","enum":["self-service","review"]},"parameters":{"type":"object"},"price_usd_month":{"type":"string","description":"USD per month, exact decimal text"}}}}}})",
                   true, false, true, run_list_services});
    out.push_back({"request_resource", "Request a resource",
                   "Requests a service for a project. Self-service types are provisioned at once (state ready, secrets "
                   "readable with get_secret); review-tier types wait in pending_approval until an admin decides.",
                   request_input.c_str(), one.c_str(), false, false, false, run_request_resource});
    out.push_back({"list_resources", "List a project's resources", "The project's resource requests and their states.",
                   list_input.c_str(), many.c_str(), true, false, true, run_list_resources});
    out.push_back({"get_resource", "Get a resource", "One resource request with its outputs and its event log.",
                   one_input.c_str(), one.c_str(), true, false, true, run_get_resource});
    out.push_back({"release_resource", "Release a resource",
                   "Deprovisions a ready resource (its database, namespace or secret is removed) or cancels a pending request.",
                   one_input.c_str(), one.c_str(), false, true, true, run_release_resource});
}

}  // namespace asg
