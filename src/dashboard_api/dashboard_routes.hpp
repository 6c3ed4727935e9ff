// What the dashboard API's route files share: JSON answers, and the routes each file owns.
#pragma once
#include <jansson.h>

#include <string>

#include "dashboard_api/dashboard_api.hpp"
#include "store/browser_session_store.hpp"
#include "store/user_store.hpp"

namespace asg {

// {"error": {"code", "message"}} with the status.
void dashboard_error(DashboardResponse& out, int status, const char* code, const std::string& message);
// The body (its reference is taken) with the status.
void dashboard_ok(DashboardResponse& out, int status, json_t* body);
// The HTTP status of a refusal by its code, the same for a tool's (tool_error) and an admin
// operation's (RequestRefused): 403 what the caller may not do, 404 what is not there, 409 what
// was decided or exists already, 502 a driver that failed, else 400 (the caller's input).
int dashboard_status_of(std::string_view code);
// A PAT as the dashboard shows it (never its secret): id, name, prefix, created, expires, last_used, revoked.
json_t* token_json(const TokenRow& t);
// A query parameter's value, percent- and plus-decoded ("" when absent).
std::string query_param(std::string_view query, std::string_view name);

// The query's `from` and `to` (UTC days, both included, each may be absent): false, with a 400
// written, when one is not a day or `to` is before `from`.
bool read_day_range(const DashboardRequest& req, std::string& from, std::string& to, DashboardResponse& out);

// The project pages (/services, /projects...): false when the path is not theirs. `body` is the
// POST's JSON object (nullptr for a GET).
bool route_projects(const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out);

// The admin's pages (/admin/...): 403 to a session that is not an admin's; false when the path is
// not theirs.
bool route_admin(const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out);
// The admin's audit and call logs below /admin/ (`path` is what follows it): false when the path
// is not theirs. route_admin calls it once the session is an admin's.
bool route_logs(std::string_view path, const DashboardRequest& req, const json_t* body, DashboardResponse& out);
// The admin's Users page below /admin/ (`path` is what follows it): false when not its path.
// `me` is the acting admin (nobody disables themselves or drops their own admin flag).
bool route_users(std::string_view path, const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out);
// The admin's Models page (providers and models) below /admin/: false when not its path.
bool route_catalog(std::string_view path, const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out);
// What every page of an admin shows: {inbox: N waiting for a decision, kill_switches: [...]}.
json_t* admin_summary(PgConnection& db);

}  // namespace asg
