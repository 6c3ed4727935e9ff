// Shared tool plumbing: identity, audit and project authorization.
#include "tools/tool_support.hpp"

#include "store/audit_log.hpp"

namespace asg {

std::optional<std::string> arg_string(const json_t* args, const char* key) {
    const json_t* v = json_object_get(args, key);
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}

bool is_project_key(const ToolContext& ctx) { return ctx.principal.kind == ASG_CRED_PROJECT; }

std::string actor_of(const ToolContext& ctx) {
    if (is_project_key(ctx)) return std::string("key:") + ctx.principal.project_id;
    if (ctx.principal.token_id == 0 && !ctx.browser_session) return std::string("local:") + ctx.principal.user_name;
    return std::string("user:") + ctx.principal.user_name;
}

void audit_tool(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                const std::optional<std::string>& project, const std::string& outcome, const std::string& detail_json) {
    AuditEntry entry{actor_of(ctx),
                     ctx.principal.token_id ? std::optional<std::int64_t>(ctx.principal.token_id) : std::nullopt,
                     tool, project, outcome, detail_json};
    audit_append(db, entry);
}

ToolResult deny(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                const std::optional<std::string>& project, const std::string& code, const std::string& message) {
    audit_tool(db, ctx, tool, project, "denied",
               json_to_string(json_own(json_pack("{s:s}", "code", code.c_str())).get()));
    return tool_error(code, message);
}

std::optional<ToolResult> refuse_key_provisioning(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                                                  const std::string& project) {
    if (!is_project_key(ctx) || ctx.principal.may_provision) return std::nullopt;
    return deny(db, ctx, tool, project, "project_key_forbidden",
                tool + " needs a user token (asg_pat_...) or a project key minted with `asgard key create --project " +
                    project + " --allow-provision`: this project key reads and calls the gateway, it does not provision");
}

std::optional<ToolResult> refuse_key_minting(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                                             const std::string& project) {
    if (!is_project_key(ctx)) return std::nullopt;
    return deny(db, ctx, tool, project, "project_key_forbidden",
                tool + " needs a user token (asg_pat_...): a project key cannot mint or rotate keys");
}

std::optional<ProjectAccess> resolve_project(PgConnection& db, const ToolContext& ctx, const json_t* args,
                                             const std::string& tool, ToolResult& denial) {
    std::optional<std::string> requested = arg_string(args, "project_id");
    std::string project_id;
    if (is_project_key(ctx)) {
        project_id = ctx.principal.project_id;
        if (requested && *requested != project_id) {
            denial = deny(db, ctx, tool, requested, "cross_project_denied", "cross-project access denied");
            return std::nullopt;
        }
    } else if (requested) {
        project_id = *requested;
    } else if (!ctx.default_project.empty()) {
        project_id = ctx.default_project;
    } else {
        denial = deny(db, ctx, tool, std::nullopt, "project_id_required", "project_id is required for a user token");
        return std::nullopt;
    }
    auto project = find_project(db, project_id);
    if (!project) {
        denial = deny(db, ctx, tool, std::nullopt, "project_not_registered",
                      "project " + project_id + " is not registered: register it with register_project first");
        return std::nullopt;
    }
    if (is_project_key(ctx)) return ProjectAccess{*project, "key"};
    if (project->owner_id == ctx.principal.user_id) return ProjectAccess{*project, "owner"};
    if (project->manager_id == ctx.principal.user_id) return ProjectAccess{*project, "manager"};
    if (ctx.principal.is_admin) return ProjectAccess{*project, ctx.principal.token_id || ctx.browser_session ? "admin" : "local"};
    denial = deny(db, ctx, tool, project_id, "not_authorized", "not authorized for project " + project_id);
    return std::nullopt;
}

json_t* project_json(const ProjectRow& p) {
    return json_drop_nulls(json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:b,s:s,s:s}", "project_id", p.id.c_str(), "name", p.name.c_str(),
                     "description", p.description.c_str(), "owner", p.owner.c_str(), "manager",
                     p.manager.empty() ? nullptr : p.manager.c_str(), "group", p.group.empty() ? nullptr : p.group.c_str(),
                     "gateway_enabled", p.gateway_enabled, "created", p.created.c_str(), "updated", p.updated.c_str()));
}

json_t* parse_or_empty(const std::string& text) {
    json_error_t error;
    json_t* v = json_loads(text.c_str(), 0, &error);
    return v ? v : json_object();
}

json_t* resource_json(const ResourceRow& r) {
    return json_drop_nulls(json_pack("{s:s,s:s,s:s,s:o,s:s,s:s?,s:o,s:s,s:s,s:s,s:s}", "resource_id", r.id.c_str(), "project_id",
                     r.project_id.c_str(), "service", r.service_type.c_str(), "params", parse_or_empty(r.params_json),
                     "state", r.state.c_str(), "reason", r.reason.empty() ? nullptr : r.reason.c_str(), "outputs",
                     parse_or_empty(r.outputs_json), "requested_by", r.requested_by.c_str(), "price_usd_month",
                     r.price_usd_month.c_str(), "created", r.created.c_str(), "updated", r.updated.c_str()));
}

}  // namespace asg
