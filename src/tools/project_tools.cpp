// whoami and the project tools: register_project, list_projects, get_project, update_project.
#include "store/audit_log.hpp"
#include "store/user_store.hpp"
#include "tools/tool_registry.hpp"
#include "tools/tool_support.hpp"

namespace asg {

static ToolResult run_whoami(const ToolContext& ctx, const json_t*) {
    PgConnection& db = thread_pg();
    Json projects = json_own(json_array());
    const char* kind = is_project_key(ctx) ? "project_key" : ctx.principal.token_id ? "user_token" : "local";
    if (is_project_key(ctx)) {
        if (auto p = find_project(db, ctx.principal.project_id))
            json_array_append_new(projects.get(), json_pack("{s:s,s:s,s:s}", "project_id", p->id.c_str(), "name",
                                                            p->name.c_str(), "role", "key"));
    } else {
        for (const auto& p : list_projects_of(db, ctx.principal.user_id, false))
            json_array_append_new(projects.get(), json_pack("{s:s,s:s,s:s}", "project_id", p.id.c_str(), "name",
                                                            p.name.c_str(), "role",
                                                            p.owner_id == ctx.principal.user_id ? "owner" : "manager"));
    }
    Json out = json_own(json_pack("{s:s?,s:b,s:{s:s,s:I},s:O}", "user",
                                  is_project_key(ctx) ? nullptr : ctx.principal.user_name, "admin",
                                  ctx.principal.is_admin != 0, "credential", "kind", kind, "id",
                                  (json_int_t)ctx.principal.token_id, "projects", projects.get()));
    if (is_project_key(ctx)) {
        json_object_set_new(out.get(), "project_id", json_string(ctx.principal.project_id));
        json_object_set_new(json_object_get(out.get(), "credential"), "may_provision",
                            json_boolean(ctx.principal.may_provision != 0));
    }
    json_drop_nulls(out.get());
    return tool_ok(std::move(out));
}

static std::optional<std::int64_t> user_id_named(PgConnection& db, const std::string& name) {
    auto user = find_user(db, name);
    return user ? std::optional<std::int64_t>(user->id) : std::nullopt;
}

static ToolResult run_register_project(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "register_project";
    if (is_project_key(ctx))
        return deny(db, ctx, tool, ctx.principal.project_id, "project_key_forbidden",
                    "a project key cannot register projects: use a user token (asg_pat_...)");
    NewProject project;
    project.name = *arg_string(args, "name");
    project.description = *arg_string(args, "description");
    project.owner_id = ctx.principal.user_id;
    auto manager = arg_string(args, "manager");
    auto group = arg_string(args, "group");
    if (get_setting(db, "projects.require_manager", "false") == "true" && !manager)
        return tool_error("manager_required", "manager is required by this organisation's policy: name the project's manager (a user name)");
    if (get_setting(db, "projects.require_group", "false") == "true" && !group)
        return tool_error("group_required", "group is required by this organisation's policy: name the project's group");
    if (manager) {
        project.manager_id = user_id_named(db, *manager);
        if (!project.manager_id) return tool_error("unknown_user", "manager '" + *manager + "' is not a known user");
    }
    project.group = group;
    ProjectRow row = pg_transaction(db, [&] {
        ProjectRow created = insert_project(db, project);
        audit_tool(db, ctx, tool, created.id, "ok",
                   json_to_string(json_own(json_pack("{s:s}", "name", created.name.c_str())).get()));
        return created;
    });
    return tool_ok(json_own(json_pack("{s:o}", "project", project_json(row))));
}

static ToolResult run_list_projects(const ToolContext& ctx, const json_t*) {
    PgConnection& db = thread_pg();
    Json list = json_own(json_array());
    if (is_project_key(ctx)) {
        if (auto p = find_project(db, ctx.principal.project_id)) json_array_append_new(list.get(), project_json(*p));
    } else {
        for (const auto& p : list_projects_of(db, ctx.principal.user_id, ctx.principal.is_admin != 0))
            json_array_append_new(list.get(), project_json(p));
    }
    return tool_ok(json_own(json_pack("{s:O}", "projects", list.get())));
}

static ToolResult run_get_project(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, "get_project", denial);
    if (!access) return denial;
    json_t* p = project_json(access->project);
    json_object_set_new(p, "your_role", json_string(access->role.c_str()));
    return tool_ok(json_own(json_pack("{s:o}", "project", p)));
}

static ToolResult run_update_project(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "update_project";
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, tool, denial);
    if (!access) return denial;
    if (access->role == "key")
        return deny(db, ctx, tool, access->project.id, "project_key_forbidden",
                    "a project key cannot update its project: use the owner's or manager's user token");
    ProjectChanges changes{arg_string(args, "name"), arg_string(args, "description"), arg_string(args, "group"), std::nullopt};
    if (auto manager = arg_string(args, "manager")) {
        changes.manager_id = user_id_named(db, *manager);
        if (!changes.manager_id) return tool_error("unknown_user", "manager '" + *manager + "' is not a known user");
    }
    if (!changes.name && !changes.description && !changes.group && !changes.manager_id)
        return tool_error("nothing_to_update", "name at least one of name, description, manager or group to change");
    ProjectRow row = pg_transaction(db, [&] {
        ProjectRow updated = update_project(db, access->project.id, changes);
        Json fields = json_own(json_array());
        for (const char* f : {"name", "description", "manager", "group"})
            if (json_object_get(args, f)) json_array_append_new(fields.get(), json_string(f));
        audit_tool(db, ctx, tool, updated.id, "ok", json_to_string(json_own(json_pack("{s:O}", "changed", fields.get())).get()));
        return updated;
    });
    return tool_ok(json_own(json_pack("{s:o}", "project", project_json(row))));
}

static const char kProjectSchema[] =
    R"({"type":"object","required":["project_id","name","description","owner","gateway_enabled","created","updated"],)"
    R"("properties":{"project_id":{"type":"string","pattern":"^proj-[0-9]{4}-[0-9]{4,}$"},"name":{"type":"string"},)"
    R"("description":{"type":"string"},"owner":{"type":"string"},"manager":{"type":"string"},"group":{"type":"string"},)"
    R"("gateway_enabled":{"type":"boolean"},"created":{"type":"string"},"updated":{"type":"string"},"your_role":{"type":"string"}}})";

static const char kProjectIdProperty[] =
    R"("project_id":{"type":"string","pattern":"^proj-[0-9]{4}-[0-9]{4,}$","maxLength":40,"description":"Required with a user token; omit with a project key (the key's project is used)."})";

void add_project_tools(std::vector<ToolDef>& out) {
    static const std::string one_project = std::string(R"({"type":"object","required":["project"],"properties":{"project":)") + kProjectSchema + "}}";
    static const std::string many_projects = std::string(R"({"type":"object","required":["projects"],"properties":{"projects":{"type":"array","items":)") + kProjectSchema + "}}}";
    static const std::string get_input = std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kProjectIdProperty + "}}";
    static const std::string update_input = std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kProjectIdProperty +
        R"(,"name":{"type":"string","minLength":1,"maxLength":200},"description":{"type":"string","minLength":1,"maxLength":4000},)"
        R"("manager":{"type":"string","pattern":"^[a-z0-9][a-z0-9._-]{0,62}$"},"group":{"type":"string","pattern":"^[a-z0-9][a-z0-9._-]{0,62}$"}}})";
    out.push_back({"whoami", "Who am I",
                   "The caller: user name, credential kind (user_token, project_key or local) and id (for a project "
                   "key, whether it may provision), and the projects the caller owns or manages with the role on each.",
                   R"({"type":"object","additionalProperties":false,"properties":{}})",
                   R"({"type":"object","required":["credential","projects"],"properties":{"user":{"type":"string"},"admin":{"type":"boolean"},)"
                   R"("project_id":{"type":"string"},"credential":{"type":"object","required":["kind","id"],"properties":{"kind":{"type":"string","enum":["user_token","project_key","local"]},"id":{"type":"integer"},)"
                   R"("may_provision":{"type":"boolean","description":"a project key: may it request and release resources"}}},)"
                   R"("projects":{"type":"array","items":{"type":"object","required":["project_id","name","role"],"properties":{"project_id":{"type":"string"},"name":{"type":"string"},"role":{"type":"string"}}}}}})",
                   true, false, true, run_whoami});
    out.push_back({"register_project", "Register a project",
                   "The gate before anything chargeable: mints a project id proj-YYYY-NNNN and makes the caller its owner. "
                   "manager (a user name) and group are required or optional per the operator's policy. User tokens only.",
                   R"({"type":"object","additionalProperties":false,"required":["name","description"],"properties":{)"
                   R"("name":{"type":"string","minLength":1,"maxLength":200},"description":{"type":"string","minLength":1,"maxLength":4000,"description":"One line: what the project is"},)"
                   R"("manager":{"type":"string","pattern":"^[a-z0-9][a-z0-9._-]{0,62}$","description":"User name of the project's manager"},)"
                   R"("group":{"type":"string","pattern":"^[a-z0-9][a-z0-9._-]{0,62}$","description":"The owning group or team"}}})",
                   one_project.c_str(), false, false, false, run_register_project});
    out.push_back({"list_projects", "List my projects",
                   "Projects the caller owns or manages (a project key sees its own project).",
                   R"({"type":"object","additionalProperties":false,"properties":{}})", many_projects.c_str(), true, false, true,
                   run_list_projects});
    out.push_back({"get_project", "Get a project", "One project's details and the caller's role on it.",
                   get_input.c_str(), one_project.c_str(), true, false, true, run_get_project});
    out.push_back({"update_project", "Update a project",
                   "Changes a project's name, description, manager or group. Owner or manager only.",
                   update_input.c_str(), one_project.c_str(), false, false, true, run_update_project});
}

}  // namespace asg
