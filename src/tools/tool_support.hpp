// What tools share: argument access, the caller's audit identity, audit rows, and the contract's
// project authorization rules (user token vs project key).
#pragma once
#include <optional>
#include <string>

#include "store/pg_connection.hpp"
#include "store/project_store.hpp"
#include "store/resource_store.hpp"
#include "tools/tool.hpp"

namespace asg {

std::optional<std::string> arg_string(const json_t* args, const char* key);

bool is_project_key(const ToolContext& ctx);
std::string actor_of(const ToolContext& ctx);  // user:alice, key:proj-2026-0001, local:operator
void audit_tool(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                const std::optional<std::string>& project, const std::string& outcome,
                const std::string& detail_json = "{}");

// An isError result that is also audited as a denial.
ToolResult deny(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                const std::optional<std::string>& project, const std::string& code, const std::string& message);

// What a project key may do. By default it reads (its project, resources, secrets, cost, the
// catalog, standards and documents) and calls the gateway. It provisions (request_resource,
// release_resource) only when minted with `asgard key create --allow-provision`, and it never
// mints or rotates keys. Each returns the audited project_key_forbidden denial, or nullopt when the
// caller may go on (a user token always may, subject to resolve_project).
std::optional<ToolResult> refuse_key_provisioning(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                                                  const std::string& project);
std::optional<ToolResult> refuse_key_minting(PgConnection& db, const ToolContext& ctx, const std::string& tool,
                                             const std::string& project);

struct ProjectAccess {
    ProjectRow project;
    std::string role;  // owner, manager, admin, key, local
};

// Applies the contract: a project key is locked to its project ("cross-project access denied");
// a user token must name project_id ("project_id is required for a user token") of a project it
// owns or manages ("not authorized for project proj-..."); an unknown project is "not registered".
// Returns the access, or fills denial (already audited).
std::optional<ProjectAccess> resolve_project(PgConnection& db, const ToolContext& ctx, const json_t* args,
                                             const std::string& tool, ToolResult& denial);

json_t* project_json(const ProjectRow& p);
// A JSON text as a new value, or {} when it is none.
json_t* parse_or_empty(const std::string& text);
// A resource request as the service tools (and the dashboard's admin pages) show it.
json_t* resource_json(const ResourceRow& r);

}  // namespace asg
