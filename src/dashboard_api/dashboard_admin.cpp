// The admin's desk in the dashboard API, under /admin/ (403 to a session that is not an admin's):
//   GET  /admin/inbox                               review-tier requests and drafts awaiting a decision
//   POST /admin/requests/ID/approve                 runs the service's driver (request_flow)
//   POST /admin/requests/ID/deny     {reason}
//   GET  /admin/drafts/KIND/NAME/VERSION            the draft and the published version it would replace
//   POST /admin/drafts/KIND/NAME/VERSION/approve    publishes it
//   POST /admin/drafts/KIND/NAME/VERSION/reject     {reason}
//   GET  /admin/kill-switches
//   POST /admin/kill-switches        {scope, target, on, reason}   a reason is required to turn one on
//   GET  /admin/standards                           the latest version of each
//   GET  /admin/standards/NAME                      the latest version with its text, and every version
//   GET  /admin/standards/NAME/VERSION              one version with its text
//   POST /admin/standards/NAME       {title, body, note}   a new version (a new standard); a note is required
//   POST /admin/standards/NAME/VERSION/restore {note}      that version's text as the newest version
//   GET  /admin/cost?from=DAY&to=DAY                 gateway spend per day, model and top project, from the rollups
//   GET  /admin/money?after=ID&q=TEXT                50 projects a page: budget, this month's spend, rate limit
//   POST /admin/budgets/ID           {monthly_usd: "500.00"}   decimal text, exact
//   POST /admin/rate-limits          {project_id ("" for the default), rpm, tpm}
// Every decision is the CLI's own operation (operations/, provisioning/), audited with the admin as
// actor (user:NAME).
#include <charconv>
#include <string_view>

#include "dashboard_api/dashboard_routes.hpp"
#include "operations/admin_operations.hpp"
#include "provisioning/request_flow.hpp"
#include "config/runtime_config.hpp"
#include "gateway/spend_log.hpp"
#include "store/cost_store.hpp"
#include "store/document_store.hpp"
#include "store/kill_switch_store.hpp"
#include "store/limits_store.hpp"
#include "store/resource_store.hpp"
#include "store/standards_store.hpp"
#include "tools/tool_support.hpp"
#include "util/json_ptr.hpp"
#include "util/calendar.hpp"
#include "util/money.hpp"

namespace asg {

namespace {

// A request as get_resource shows it, with the requester's justification (for the reviewer).
json_t* request_json(const ResourceRow& r) {
    json_t* o = resource_json(r);
    if (!r.justification.empty()) json_object_set_new(o, "justification", json_string(r.justification.c_str()));
    return o;
}

json_t* draft_json(const DocumentRow& d, bool with_body) {
    json_t* o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "id", (d.kind + "/" + d.name + "@" + std::to_string(d.version)).c_str(),
                          "kind", d.kind.c_str(), "name", d.name.c_str(), "version", d.version, "title", d.title.c_str(),
                          "author", d.author.c_str(), "created", d.created.c_str(), "status", d.status.c_str());
    if (with_body) json_object_set_new(o, "body", json_string(d.body.c_str()));
    return o;
}

std::optional<std::string> body_text(const json_t* body, const char* name) {
    const json_t* v = body ? json_object_get(body, name) : nullptr;
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}

json_t* standard_json(const StandardRow& s, bool with_body) {
    json_t* o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "name", s.name.c_str(), "title", s.title.c_str(), "version", s.version,
                          "updated", s.updated.c_str(), "author", s.author.c_str(), "note", s.note.c_str());
    if (with_body) json_object_set_new(o, "body", json_string(s.body.c_str()));
    return o;
}

// The standards' routes below /admin/standards ("" for the list).
void standards(std::string_view path, bool post, const json_t* body, const SessionUser& me, DashboardResponse& out) {
    PgConnection& db = thread_pg();
    std::string actor = "user:" + me.name;
    if (path.empty()) {
        if (post) return dashboard_error(out, 405, "method_not_allowed", "use GET (a new standard is POST /admin/standards/NAME)");
        json_t* list = json_array();
        for (const auto& s : list_latest_standards(db)) json_array_append_new(list, standard_json(s, false));
        return dashboard_ok(out, 200, json_pack("{s:o}", "standards", list));
    }
    std::size_t slash = path.find('/');
    std::string name(path.substr(0, slash));
    std::string_view rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (rest.empty()) {
        if (post) {
            std::optional<std::string> note = body_text(body, "note");
            if (!note || note->empty()) return dashboard_error(out, 400, "note_required", "say what changed and why (note): every version keeps it");
            StandardRow row = save_standard(db, name, body_text(body, "title").value_or(""), body_text(body, "body").value_or(""), *note,
                                            me.name, actor);
            return dashboard_ok(out, 201, json_pack("{s:o}", "standard", standard_json(row, false)));
        }
        auto latest = get_standards(db, name, std::nullopt);
        if (latest.empty()) return dashboard_error(out, 404, "not_found", "no standard " + name);
        json_t* versions = json_array();
        for (const auto& v : standard_history(db, name)) json_array_append_new(versions, standard_json(v, false));
        return dashboard_ok(out, 200, json_pack("{s:o,s:o}", "standard", standard_json(latest[0], true), "versions", versions));
    }
    std::size_t next = rest.find('/');
    std::string_view digits = rest.substr(0, next);
    std::string_view verb = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    int version = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (ec != std::errc() || end != digits.data() + digits.size() || version <= 0 || (!verb.empty() && verb != "restore"))
        return dashboard_error(out, 404, "not_found", "no such admin page");
    if (verb.empty()) {
        if (post) return dashboard_error(out, 405, "method_not_allowed", "use GET");
        auto one = get_standards(db, name, version);
        if (one.empty()) return dashboard_error(out, 404, "not_found", "standard " + name + " has no version " + std::to_string(version));
        return dashboard_ok(out, 200, json_pack("{s:o}", "standard", standard_json(one[0], true)));
    }
    if (!post) return dashboard_error(out, 405, "method_not_allowed", "use POST");
    StandardRow row = restore_standard(db, name, version, body_text(body, "note").value_or(""), me.name, actor);
    dashboard_ok(out, 201, json_pack("{s:o}", "standard", standard_json(row, false)));
}

constexpr int kMoneyPage = 50;
constexpr int kCostTopProjects = 50;

void money_page(const DashboardRequest& req, DashboardResponse& out) {
    PgConnection& db = thread_pg();
    std::string after = query_param(req.query, "after"), search = query_param(req.query, "q");
    if (after.size() > 40 || search.size() > 100) return dashboard_error(out, 400, "invalid_query", "after is a project id; q is at most 100 characters");
    auto rows = project_money_page(db, after, search, kMoneyPage + 1);
    bool more = rows.size() > static_cast<std::size_t>(kMoneyPage);
    if (more) rows.pop_back();
    json_t* list = json_array();
    for (const auto& p : rows) {
        json_t* o = json_pack("{s:s,s:s,s:s,s:s}", "project_id", p.project_id.c_str(), "name", p.name.c_str(), "owner", p.owner.c_str(),
                              "spent_usd", format_usd(p.spent_micro_usd).c_str());
        json_object_set_new(o, "budget_usd", p.budget_micro_usd ? json_string(format_usd(*p.budget_micro_usd).c_str()) : json_null());
        json_object_set_new(o, "rpm", p.rpm ? json_integer(*p.rpm) : json_null());
        json_object_set_new(o, "tpm", p.tpm ? json_integer(*p.tpm) : json_null());
        json_array_append_new(list, o);
    }
    RateLimitRow fallback = default_rate_limit(db);
    dashboard_ok(out, 200, json_pack("{s:o,s:o,s:{s:i,s:i}}", "projects", list, "next",
                                     more ? json_string(rows.back().project_id.c_str()) : json_null(), "default_rate_limit", "rpm",
                                     fallback.rpm, "tpm", fallback.tpm));
}

// The gateway's spend over a range of UTC days (default: this month to today), from the rollups.
void cost_page(const DashboardRequest& req, DashboardResponse& out) {
    std::int64_t now = now_ms();
    const std::string today = utc_day(now);
    std::string from, to;
    if (!read_day_range(req, from, to, out)) return;
    if (from.empty()) from = utc_month(now) + "-01";
    if (to.empty()) to = today;
    if (to < from) return dashboard_error(out, 400, "invalid_date", "to (" + to + ") is before from (" + from + ")");
    if (day_number(to) - day_number(from) > 366) return dashboard_error(out, 400, "invalid_date", "a range is at most 367 days");
    SpendReport r = spend_report(thread_pg(), from, to, today, kCostTopProjects);
    auto line = [](const SpendLine& l, const char* key) {
        return json_pack("{s:s,s:s,s:I,s:I,s:I}", key, l.key.c_str(), "usd", format_usd(l.micro_usd).c_str(), "requests", (json_int_t)l.requests,
                         "input_tokens", (json_int_t)l.input_tokens, "output_tokens", (json_int_t)l.output_tokens);
    };
    json_t* by_day = json_array();
    for (const auto& l : r.by_day) json_array_append_new(by_day, line(l, "day"));
    json_t* by_model = json_array();
    for (const auto& l : r.by_model) json_array_append_new(by_model, line(l, "model"));
    json_t* by_project = json_array();
    for (const auto& l : r.by_project) {
        json_t* o = line(l, "project_id");
        json_object_set_new(o, "name", json_string(l.name.c_str()));
        json_array_append_new(by_project, o);
    }
    dashboard_ok(out, 200, json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o}", "from", from.c_str(), "to", to.c_str(), "total_usd",
                                     format_usd(r.total.micro_usd).c_str(), "requests", (json_int_t)r.total.requests, "by_day", by_day,
                                     "by_model", by_model, "by_project", by_project));
}

json_t* kill_switch_json(const KillSwitchRow& k) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "scope", k.scope.c_str(), "target", k.target.c_str(), "reason", k.reason.c_str(),
                     "set_by", k.set_by.c_str(), "set_at", k.set_at.c_str());
}


// KIND/NAME/VERSION[/rest]: false when the path is not one.
bool parse_draft_path(std::string_view path, std::string& kind, std::string& name, int& version, std::string_view& rest) {
    std::size_t a = path.find('/');
    if (a == std::string_view::npos) return false;
    std::size_t b = path.find('/', a + 1);
    if (b == std::string_view::npos) return false;
    std::size_t c = path.find('/', b + 1);
    kind = std::string(path.substr(0, a));
    name = std::string(path.substr(a + 1, b - a - 1));
    std::string_view digits = path.substr(b + 1, c == std::string_view::npos ? std::string_view::npos : c - b - 1);
    rest = c == std::string_view::npos ? std::string_view() : path.substr(c);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    return (kind == "guidance" || kind == "recipe") && !name.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
           version > 0;
}

void inbox(PgConnection& db, DashboardResponse& out) {
    json_t* requests = json_array();
    for (const auto& r : list_requests(db, std::nullopt, std::string("pending_approval"))) json_array_append_new(requests, request_json(r));
    json_t* drafts = json_array();
    for (const auto& d : list_drafts(db)) json_array_append_new(drafts, draft_json(d, false));
    dashboard_ok(out, 200, json_pack("{s:o,s:o}", "requests", requests, "drafts", drafts));
}

}  // namespace

json_t* admin_summary(PgConnection& db) {
    json_t* switches = json_array();
    for (const auto& k : list_kill_switches(db)) json_array_append_new(switches, kill_switch_json(k));
    std::int64_t waiting = count_requests(db, "pending_approval") + count_drafts(db);
    return json_pack("{s:I,s:o}", "inbox", (json_int_t)waiting, "kill_switches", switches);
}

bool route_admin(const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out) {
    constexpr std::string_view kAdmin = "/admin/";
    std::string_view path = req.path;
    if (path != "/admin" && path.substr(0, kAdmin.size()) != kAdmin) return false;
    if (!me.is_admin) {
        dashboard_error(out, 403, "admin_only", "this is an administrator's page: " + me.name + " is not an administrator");
        return true;
    }
    path.remove_prefix(std::min(path.size(), kAdmin.size()));
    bool post = req.method == "POST";
    PgConnection& db = thread_pg();
    std::string actor = "user:" + me.name;
    auto only = [&](bool want_post) {
        if (post == want_post) return true;
        dashboard_error(out, 405, "method_not_allowed", want_post ? "use POST" : "use GET");
        return false;
    };
    try {
        if (route_logs(path, req, body, out)) return true;
        if (route_users(path, req, me, body, out)) return true;
        if (route_catalog(path, req, me, body, out)) return true;
        if (path == "inbox") {
            if (only(false)) inbox(db, out);
            return true;
        }
        constexpr std::string_view kStandards = "standards";
        if (path.substr(0, kStandards.size()) == kStandards && (path.size() == kStandards.size() || path[kStandards.size()] == '/')) {
            standards(path.substr(std::min(path.size(), kStandards.size() + 1)), post, body, me, out);
            return true;
        }
        if (path == "cost") {
            if (only(false)) cost_page(req, out);
            return true;
        }
        if (path == "money") {
            if (only(false)) money_page(req, out);
            return true;
        }
        constexpr std::string_view kBudgets = "budgets/";
        if (path.substr(0, kBudgets.size()) == kBudgets) {
            if (!only(true)) return true;
            std::string project(path.substr(kBudgets.size()));
            std::optional<std::int64_t> micro = parse_usd(body_text(body, "monthly_usd").value_or(""));
            if (!micro) {
                dashboard_error(out, 400, "invalid_amount", "monthly_usd is USD as decimal text with at most six decimals, e.g. \"500\" or \"99.50\"");
                return true;
            }
            set_project_budget(db, project, *micro, actor);
            dashboard_ok(out, 200, json_pack("{s:s,s:s}", "project_id", project.c_str(), "budget_usd", format_usd(*micro).c_str()));
            return true;
        }
        if (path == "rate-limits") {
            if (!only(true)) return true;
            const json_t* rpm = body ? json_object_get(body, "rpm") : nullptr;
            const json_t* tpm = body ? json_object_get(body, "tpm") : nullptr;
            if (!json_is_integer(rpm) || !json_is_integer(tpm)) {
                dashboard_error(out, 400, "invalid_limits", "rpm and tpm are whole numbers (requests and tokens per minute per key)");
                return true;
            }
            std::string project = body_text(body, "project_id").value_or("");
            set_rate_limit(db, project, json_integer_value(rpm), json_integer_value(tpm), actor);
            dashboard_ok(out, 200, json_pack("{s:s,s:I,s:I}", "project_id", project.c_str(), "rpm", json_integer_value(rpm), "tpm",
                                             json_integer_value(tpm)));
            return true;
        }
        if (path == "kill-switches") {
            if (!post) {
                json_t* list = json_array();
                for (const auto& k : list_kill_switches(db)) json_array_append_new(list, kill_switch_json(k));
                dashboard_ok(out, 200, json_pack("{s:o}", "kill_switches", list));
                return true;
            }
            std::string scope = body_text(body, "scope").value_or("");
            std::string target = body_text(body, "target").value_or("");
            const json_t* on = body ? json_object_get(body, "on") : nullptr;
            std::optional<std::string> reason = body_text(body, "reason");
            if (!json_is_boolean(on)) {
                dashboard_error(out, 400, "invalid_on", "on must be true (turn it on) or false (turn it off)");
                return true;
            }
            if (json_is_true(on) && (!reason || reason->empty() || reason->size() > 500)) {
                dashboard_error(out, 400, "reason_required", "say why the kill switch goes on (reason, at most 500 characters)");
                return true;
            }
            bool changed = set_kill_switch(db, scope, target, json_is_true(on), reason, actor);
            dashboard_ok(out, 200, json_pack("{s:s,s:s,s:b,s:b}", "scope", scope.c_str(), "target", target.c_str(), "on",
                                             json_is_true(on), "changed", changed));
            return true;
        }
        constexpr std::string_view kRequests = "requests/";
        if (path.substr(0, kRequests.size()) == kRequests) {
            std::string_view rest = path.substr(kRequests.size());
            std::size_t slash = rest.find('/');
            std::string id(rest.substr(0, slash));
            std::string_view verb = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
            if (verb != "approve" && verb != "deny") {
                dashboard_error(out, 404, "not_found", "no such admin page");
                return true;
            }
            if (!only(true)) return true;
            if (verb == "approve") {
                FlowResult result = approve_request(db, id, actor);
                json_t* answer = json_pack("{s:o}", "resource", request_json(result.request));
                if (!result.one_time_credential.empty())
                    json_object_set_new(answer, "note", json_string("the driver minted a key: it is shown to the requester's agent, not here"));
                dashboard_ok(out, 200, answer);
            } else {
                std::optional<std::string> reason = body_text(body, "reason");
                if (!reason || reason->empty() || reason->size() > 2000) {
                    dashboard_error(out, 400, "reason_required", "say why the request is denied (reason, at most 2000 characters): the requester reads it");
                    return true;
                }
                dashboard_ok(out, 200, json_pack("{s:o}", "resource", request_json(deny_request(db, id, actor, *reason))));
            }
            return true;
        }
        constexpr std::string_view kDrafts = "drafts/";
        if (path.substr(0, kDrafts.size()) == kDrafts) {
            std::string kind, name;
            int version = 0;
            std::string_view rest;
            if (!parse_draft_path(path.substr(kDrafts.size()), kind, name, version, rest)) {
                dashboard_error(out, 404, "not_found", "a draft is /admin/drafts/KIND/NAME/VERSION (guidance or recipe)");
                return true;
            }
            if (rest.empty()) {
                if (!only(false)) return true;
                auto draft = get_document(db, kind, name, version, me.user_id, true);
                if (!draft) {
                    dashboard_error(out, 404, "not_found", "no " + kind + " " + name + " version " + std::to_string(version));
                    return true;
                }
                auto published = get_document(db, kind, name, std::nullopt, 0, false);
                dashboard_ok(out, 200, json_pack("{s:o,s:o}", "draft", draft_json(*draft, true), "published",
                                                 published ? draft_json(*published, true) : json_null()));
                return true;
            }
            if (rest != "/approve" && rest != "/reject") {
                dashboard_error(out, 404, "not_found", "no such admin page");
                return true;
            }
            if (!only(true)) return true;
            bool approve = rest == "/approve";
            std::optional<std::string> reason = body_text(body, "reason");
            if (!approve && (!reason || reason->empty() || reason->size() > 2000)) {
                dashboard_error(out, 400, "reason_required", "say why the draft is rejected (reason, at most 2000 characters): its author reads it");
                return true;
            }
            decide_document_draft(db, kind, name, version, approve, actor, reason);
            dashboard_ok(out, 200, json_pack("{s:s,s:s}", "id", (kind + "/" + name + "@" + std::to_string(version)).c_str(), "status",
                                             approve ? "published" : "rejected"));
            return true;
        }
    } catch (const RequestRefused& e) {
        dashboard_error(out, dashboard_status_of(e.code), e.code.c_str(), e.what());
        return true;
    }
    dashboard_error(out, 404, "not_found", "no such admin page");
    return true;
}

}  // namespace asg
