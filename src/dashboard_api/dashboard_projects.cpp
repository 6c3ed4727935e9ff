// The dashboard's project pages: every action runs the MCP tool that does it, as the signed-in
// person (the same rules, audit rows and error texts as over MCP with a PAT); a page's view is one
// request. Routes:
//   GET  /services                         the catalog (list_services)
//   GET  /projects                         the projects I own or manage, with my role (list_projects)
//   POST /projects                         register one (register_project)
//   GET  /projects/ID                      the project page: project and role, resources, cost,
//                                          live keys (prefix only), secret names
//   GET  /projects/ID/resources/RID        one resource with its event log (get_resource)
//   POST /projects/ID/resources            request a service (request_resource)
//   POST /projects/ID/key                  mint or rotate the project key (gateway_credential)
//   POST /projects/ID/secret               reveal a secret's value (get_secret: audited)
#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "dashboard_api/dashboard_routes.hpp"
#include "store/secret_store.hpp"
#include "store/user_store.hpp"
#include "tools/tool_registry.hpp"
#include "util/json_ptr.hpp"

namespace asg {

namespace {

asg_principal_t principal_of(const SessionUser& me) {
    asg_principal_t p{};
    p.status = ASG_AUTH_OK;
    p.kind = ASG_CRED_USER;
    p.user_id = me.user_id;
    p.is_admin = me.is_admin ? 1 : 0;
    std::size_t n = std::min(me.name.size(), sizeof p.user_name - 1);
    std::memcpy(p.user_name, me.name.data(), n);
    return p;
}

// Runs a tool as `me` with `args` (`as_admin` false: as if `me` were no admin, for what is mine
// alone); on a refusal fills `out` with its error and returns an empty Json.
Json run_tool(const char* name, const SessionUser& me, const json_t* args, DashboardResponse& out, bool as_admin = true) {
    const RegisteredTool* tool = find_tool(name);
    if (tool == nullptr) throw std::logic_error(std::string("no tool ") + name);
    std::optional<ToolResult> invalid = check_tool_arguments(*tool, args);
    asg_principal_t principal = principal_of(me);
    if (!as_admin) principal.is_admin = 0;
    ToolResult result = invalid ? std::move(*invalid) : tool->def.run(ToolContext{principal, "", true, {}}, args);
    if (!result.is_error) return std::move(result.structured);
    const json_t* error = json_object_get(result.structured.get(), "error");
    const char* code = json_string_value(json_object_get(error, "code"));
    out.status = dashboard_status_of(code ? code : "");
    out.body = json_to_string(result.structured.get());
    return Json();
}

// The tool's arguments: the POST body's members, and project_id from the path.
Json project_args(std::string_view project_id, const json_t* body) {
    Json args = json_own(body ? json_deep_copy(body) : json_object());
    json_object_set_new(args.get(), "project_id", json_stringn(project_id.data(), project_id.size()));
    return args;
}

bool is_project_id(std::string_view id) {
    // proj-YYYY-NNNN...: anything else is no page of ours (404, not a 400 about an argument).
    if (id.size() < 14 || id.size() > 40 || id.substr(0, 5) != "proj-" || id[9] != '-') return false;
    for (std::size_t i = 5; i < id.size(); ++i)
        if (i != 9 && (id[i] < '0' || id[i] > '9')) return false;
    return true;
}

json_t* key_json(const TokenRow& k) {
    return json_drop_nulls(json_pack("{s:I,s:s,s:s,s:s?,s:b,s:s?}", "id", (json_int_t)k.id, "prefix", k.display_prefix.c_str(),
                                     "created", k.created.c_str(), "last_used", k.last_used.empty() ? nullptr : k.last_used.c_str(),
                                     "may_provision", k.may_provision, "default_data_class",
                                     k.default_data_class.empty() ? nullptr : k.default_data_class.c_str()));
}

// The project page in one answer: what get_project, list_resources and get_cost say, the live
// keys' prefixes and the secret names (values only through /secret).
void project_view(std::string_view id, const SessionUser& me, DashboardResponse& out) {
    Json args = project_args(id, nullptr);
    Json project = run_tool("get_project", me, args.get(), out);
    if (!project) return;
    Json resources = run_tool("list_resources", me, args.get(), out);
    if (!resources) return;
    Json cost = run_tool("get_cost", me, args.get(), out);
    if (!cost) return;
    PgConnection& db = thread_pg();
    std::string project_id(id);
    json_t* keys = json_array();
    for (const TokenRow& k : list_project_keys(db, project_id)) json_array_append_new(keys, key_json(k));
    json_t* secrets = json_array();
    for (const std::string& name : secret_names(db, project_id)) json_array_append_new(secrets, json_string(name.c_str()));
    dashboard_ok(out, 200, json_pack("{s:O,s:O,s:O,s:o,s:o}", "project", json_object_get(project.get(), "project"), "resources",
                                     json_object_get(resources.get(), "resources"), "cost", cost.get(), "keys", keys,
                                     "secrets", secrets));
}

// A tool's answer as the route's: its structured result with the status, or its refusal.
void answer(const char* tool, const SessionUser& me, const json_t* args, int status, DashboardResponse& out) {
    Json result = run_tool(tool, me, args, out);
    if (result) dashboard_ok(out, status, json_incref(result.get()));
}

}  // namespace

bool route_projects(const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out) {
    bool post = req.method == "POST";
    std::string_view path = req.path;
    auto only = [&](bool want_post) {
        if (post == want_post) return true;
        dashboard_error(out, 405, "method_not_allowed", want_post ? "use POST" : "use GET");
        return false;
    };
    Json empty = json_own(json_object());
    const json_t* args = body ? body : empty.get();

    if (path == "/services") {
        if (only(false)) answer("list_services", me, empty.get(), 200, out);
        return true;
    }
    if (path == "/projects") {
        if (!post) {
            // My projects: those I own or manage (every project is the admin pages' business).
            Json list = run_tool("list_projects", me, empty.get(), out, false);
            if (!list) return true;
            std::size_t i;
            json_t* p;
            json_array_foreach(json_object_get(list.get(), "projects"), i, p) {
                const char* owner = json_string_value(json_object_get(p, "owner"));
                const char* role = owner && me.name == owner ? "owner" : "manager";
                json_object_set_new(p, "your_role", json_string(role));
            }
            dashboard_ok(out, 200, json_incref(list.get()));
        } else {
            answer("register_project", me, args, 201, out);
        }
        return true;
    }
    constexpr std::string_view kPrefix = "/projects/";
    if (path.substr(0, kPrefix.size()) != kPrefix) return false;
    path.remove_prefix(kPrefix.size());
    std::string_view id = path.substr(0, path.find('/'));
    std::string_view rest = path.substr(id.size());
    if (!is_project_id(id)) {
        dashboard_error(out, 404, "not_found", "no such project page");
        return true;
    }
    if (rest.empty()) {
        if (only(false)) project_view(id, me, out);
        return true;
    }
    constexpr std::string_view kResources = "/resources";
    if (rest == kResources) {
        if (only(true)) answer("request_resource", me, project_args(id, args).get(), 201, out);
        return true;
    }
    if (rest.substr(0, kResources.size() + 1) == "/resources/") {
        if (!only(false)) return true;
        Json one = project_args(id, nullptr);
        std::string_view resource = rest.substr(kResources.size() + 1);
        json_object_set_new(one.get(), "resource_id", json_stringn(resource.data(), resource.size()));
        answer("get_resource", me, one.get(), 200, out);
        return true;
    }
    if (rest == "/key") {
        if (only(true)) answer("gateway_credential", me, project_args(id, args).get(), 201, out);
        return true;
    }
    if (rest == "/secret") {
        if (only(true)) answer("get_secret", me, project_args(id, args).get(), 200, out);
        return true;
    }
    dashboard_error(out, 404, "not_found", "no such project page");
    return true;
}

}  // namespace asg
