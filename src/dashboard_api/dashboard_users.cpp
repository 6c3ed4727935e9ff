// The admin's Users page in the dashboard API (route_admin has checked the session is an admin's):
//   GET  /admin/users?q=&after=NAME               50 people a page by name, searched by part of the name
//   POST /admin/users            {name, admin}     a new person (201)
//   GET  /admin/users/NAME                         the person, their PATs (never a secret) and projects
//   POST /admin/users/NAME/disable {reason}        their PATs stop, their sessions end; nothing is deleted
//   POST /admin/users/NAME/enable
//   POST /admin/users/NAME/admin  {admin}          the admin flag
//   POST /admin/users/NAME/groups {group, member}  join or leave a group
//   POST /admin/users/NAME/tokens/ID/revoke        one of their PATs
// Every change is operations/user_operations (the CLI's), audited with the admin as actor.
#include <charconv>
#include <string_view>

#include "dashboard_api/dashboard_routes.hpp"
#include "operations/user_operations.hpp"
#include "store/audit_log.hpp"
#include "store/project_store.hpp"
#include "util/json_ptr.hpp"

namespace asg {

namespace {

constexpr int kUserPage = 50;

json_t* summary_json(const UserSummary& s) {
    json_t* groups = json_array();
    for (const auto& g : s.groups) json_array_append_new(groups, json_string(g.c_str()));
    json_t* o = json_pack("{s:I,s:s,s:b,s:s,s:I,s:I,s:o}", "id", (json_int_t)s.user.id, "name", s.user.name.c_str(), "admin",
                          s.user.is_admin, "created", s.user.created.c_str(), "live_tokens", (json_int_t)s.live_tokens, "projects",
                          (json_int_t)s.projects, "groups", groups);
    json_object_set_new(o, "disabled", s.disabled_at.empty() ? json_null()
                                                             : json_pack("{s:s,s:s,s:s}", "at", s.disabled_at.c_str(), "by",
                                                                         s.disabled_by.c_str(), "reason", s.disabled_reason.c_str()));
    return o;
}

std::string text_member(const json_t* body, const char* name) {
    const json_t* v = body ? json_object_get(body, name) : nullptr;
    return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : std::string();
}

void list(const DashboardRequest& req, DashboardResponse& out) {
    std::string q = query_param(req.query, "q"), after = query_param(req.query, "after");
    if (q.size() > 63 || after.size() > 63) return dashboard_error(out, 400, "invalid_query", "q and after are at most 63 characters (a user name)");
    auto rows = user_page(thread_pg(), q, after, kUserPage + 1);
    bool more = rows.size() > static_cast<std::size_t>(kUserPage);
    if (more) rows.pop_back();
    json_t* users = json_array();
    for (const auto& u : rows) json_array_append_new(users, summary_json(u));
    dashboard_ok(out, 200, json_pack("{s:o,s:o}", "users", users, "next", more ? json_string(rows.back().user.name.c_str()) : json_null()));
}

void one(const std::string& name, DashboardResponse& out) {
    PgConnection& db = thread_pg();
    auto s = user_summary(db, name);
    if (!s) return dashboard_error(out, 404, "not_found", "no user " + name);
    json_t* tokens = json_array();
    for (const TokenRow& t : list_user_tokens(db, s->user.id)) json_array_append_new(tokens, token_json(t));
    json_t* projects = json_array();
    for (const ProjectRow& p : list_projects_of(db, s->user.id, false))
        json_array_append_new(projects, json_pack("{s:s,s:s,s:s}", "project_id", p.id.c_str(), "name", p.name.c_str(), "role",
                                                  p.owner_id == s->user.id ? "owner" : "manager"));
    dashboard_ok(out, 200, json_pack("{s:o,s:o,s:o}", "user", summary_json(*s), "tokens", tokens, "projects", projects));
}

}  // namespace

bool route_users(std::string_view path, const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out) {
    constexpr std::string_view kUsers = "users";
    if (path.substr(0, kUsers.size()) != kUsers || (path.size() > kUsers.size() && path[kUsers.size()] != '/')) return false;
    bool post = req.method == "POST";
    std::string actor = "user:" + me.name;
    PgConnection& db = thread_pg();
    std::string_view rest = path.substr(std::min(path.size(), kUsers.size() + 1));
    if (rest.empty()) {
        if (!post) return list(req, out), true;
        const json_t* admin = body ? json_object_get(body, "admin") : nullptr;
        if (admin && !json_is_boolean(admin)) return dashboard_error(out, 400, "invalid", "admin is true or false"), true;
        UserRow u = create_user(db, text_member(body, "name"), json_is_true(admin), actor);
        dashboard_ok(out, 201, json_pack("{s:{s:I,s:s,s:b}}", "user", "id", (json_int_t)u.id, "name", u.name.c_str(), "admin", u.is_admin));
        return true;
    }
    std::size_t slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    std::string_view action = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (action.empty()) {
        if (post) return dashboard_error(out, 405, "method_not_allowed", "use GET"), true;
        return one(name, out), true;
    }
    if (!post) return dashboard_error(out, 405, "method_not_allowed", "use POST"), true;
    if (action == "disable" || action == "enable") {
        bool changed = action == "disable" ? disable_user(db, name, text_member(body, "reason"), me.name, actor) : enable_user(db, name, actor);
        dashboard_ok(out, 200, json_pack("{s:s,s:b,s:b}", "name", name.c_str(), "disabled", action == "disable", "changed", changed));
        return true;
    }
    if (action == "admin") {
        const json_t* admin = body ? json_object_get(body, "admin") : nullptr;
        if (!json_is_boolean(admin)) return dashboard_error(out, 400, "invalid", "admin is true or false"), true;
        bool changed = set_admin_flag(db, name, json_is_true(admin), me.name, actor);
        dashboard_ok(out, 200, json_pack("{s:s,s:b,s:b}", "name", name.c_str(), "admin", json_is_true(admin), "changed", changed));
        return true;
    }
    if (action == "groups") {
        const json_t* member = body ? json_object_get(body, "member") : nullptr;
        std::string group = text_member(body, "group");
        if (!json_is_boolean(member) || group.empty())
            return dashboard_error(out, 400, "invalid", "group is a group name; member is true (join) or false (leave)"), true;
        bool changed = set_group_member(db, group, name, json_is_true(member), actor);
        dashboard_ok(out, 200, json_pack("{s:s,s:s,s:b,s:b}", "name", name.c_str(), "group", group.c_str(), "member", json_is_true(member),
                                         "changed", changed));
        return true;
    }
    constexpr std::string_view kTokens = "tokens/", kRevoke = "/revoke";
    if (action.substr(0, kTokens.size()) == kTokens && action.size() > kTokens.size() + kRevoke.size() &&
        action.substr(action.size() - kRevoke.size()) == kRevoke) {
        std::string_view digits = action.substr(kTokens.size(), action.size() - kTokens.size() - kRevoke.size());
        std::int64_t id = 0;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
        auto user = find_user(db, name);
        if (ec != std::errc() || p != digits.data() + digits.size() || !user)
            return dashboard_error(out, 404, "not_found", "no such token of " + name), true;
        bool revoked = pg_transaction(db, [&] {
            bool done = revoke_user_token(db, user->id, id);
            if (done)
                audit_append(db, {actor, id, "token.revoke", std::nullopt, "ok",
                                  json_to_string(json_own(json_pack("{s:I,s:s,s:s}", "token_id", (json_int_t)id, "user", name.c_str(), "via",
                                                                    "dashboard")).get())});
            return done;
        });
        if (!revoked) return dashboard_error(out, 404, "not_found", "no live token " + std::to_string(id) + " of " + name), true;
        dashboard_ok(out, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
        return true;
    }
    return false;
}

}  // namespace asg
