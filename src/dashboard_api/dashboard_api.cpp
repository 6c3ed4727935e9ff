// The dashboard API's routes.
#include "dashboard_api/dashboard_api.hpp"
#include "dashboard_api/dashboard_routes.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>

#include "store/audit_log.hpp"
#include "store/browser_session_store.hpp"
#include "store/pg_connection.hpp"
#include "store/project_store.hpp"
#include "store/user_store.hpp"
#include "util/calendar.hpp"
#include "util/json_ptr.hpp"

namespace asg {

json_t* token_json(const TokenRow& t) {
    auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    return json_pack("{s:I,s:s?,s:s,s:s,s:s?,s:s?,s:s?}", "id", (json_int_t)t.id, "name", opt(t.name), "prefix",
                     t.display_prefix.c_str(), "created", t.created.c_str(), "expires", opt(t.expires), "last_used",
                     opt(t.last_used), "revoked", opt(t.revoked));
}

void dashboard_error(DashboardResponse& out, int status, const char* code, const std::string& message) {
    out.status = status;
    out.body = json_to_string(json_own(json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message.c_str())).get());
}

void dashboard_ok(DashboardResponse& out, int status, json_t* body) {
    out.status = status;
    out.body = json_to_string(json_own(body).get());
}

int dashboard_status_of(std::string_view code) {
    for (std::string_view c : {"not_authorized", "cross_project_denied", "project_key_forbidden"})
        if (code == c) return 403;
    for (std::string_view c : {"not_found", "project_not_registered"})
        if (code == c) return 404;
    for (std::string_view c : {"already_exists", "already_decided", "invalid_state"})
        if (code == c) return 409;
    for (std::string_view c : {"provisioning_failed", "release_failed"})
        if (code == c) return 502;
    return 400;
}

bool read_day_range(const DashboardRequest& req, std::string& from, std::string& to, DashboardResponse& out) {
    from = query_param(req.query, "from");
    to = query_param(req.query, "to");
    for (const std::string* v : {&from, &to}) {
        if (!v->empty() && !valid_utc_day(*v)) {
            dashboard_error(out, 400, "invalid_date", "from and to are UTC days as YYYY-MM-DD (both included), got \"" + *v + "\"");
            return false;
        }
    }
    if (!from.empty() && !to.empty() && to < from) {
        dashboard_error(out, 400, "invalid_date", "to (" + to + ") is before from (" + from + ")");
        return false;
    }
    return true;
}

std::string query_param(std::string_view query, std::string_view name) {
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    while (!query.empty()) {
        std::size_t end = query.find('&');
        std::string_view pair = query.substr(0, end);
        std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string out;
            std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (value[i] == '+') {
                    out += ' ';
                } else if (value[i] == '%' && i + 2 < value.size() && hex(value[i + 1]) >= 0 && hex(value[i + 2]) >= 0) {
                    out += static_cast<char>(hex(value[i + 1]) * 16 + hex(value[i + 2]));
                    i += 2;
                } else {
                    out += value[i];
                }
            }
            return out;
        }
        if (end == std::string_view::npos) break;
        query.remove_prefix(end + 1);
    }
    return "";
}

namespace {

void error(DashboardResponse& out, int status, const char* code, const std::string& message) {
    dashboard_error(out, status, code, message);
}

void ok(DashboardResponse& out, int status, json_t* body) { dashboard_ok(out, status, body); }

// The session cookie's value in a Cookie header, or "".
std::string_view cookie_value(std::string_view header) {
    while (!header.empty()) {
        std::size_t end = header.find(';');
        std::string_view pair = header.substr(0, end);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        if (pair.size() > kSessionCookie.size() && pair.substr(0, kSessionCookie.size()) == kSessionCookie &&
            pair[kSessionCookie.size()] == '=')
            return pair.substr(kSessionCookie.size() + 1);
        if (end == std::string_view::npos) break;
        header.remove_prefix(end + 1);
    }
    return {};
}

std::string session_cookie(const DashboardRequest& req, std::string_view value, std::int64_t max_age) {
    return std::string(kSessionCookie) + "=" + std::string(value) + "; Path=/api/dashboard; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age) + (req.loopback ? "" : "; Secure");
}

// A write is the dashboard's own: its custom header, and a same-origin Origin and Sec-Fetch-Site
// when the browser sends them.
bool same_origin_write(const DashboardRequest& req) {
    if (!req.csrf_header) return false;
    if (!req.fetch_site.empty() && req.fetch_site != "same-origin") return false;
    if (!req.origin.empty()) {
        std::size_t scheme = req.origin.find("://");
        if (scheme == std::string_view::npos || req.origin.substr(scheme + 3) != req.host) return false;
    }
    return true;
}

// A string member of the JSON body, or nullopt.
std::optional<std::string> body_string(const Json& body, const char* name) {
    json_t* v = body ? json_object_get(body.get(), name) : nullptr;
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}


const char* link_problem_text(const std::string& problem) {
    if (problem == "used") return "this sign-in link was already used; ask for a new one (asgard login-link --user NAME)";
    if (problem == "expired") return "this sign-in link has expired; ask for a new one (asgard login-link --user NAME)";
    if (problem == "disabled") return "an administrator has disabled this account: it cannot sign in";
    return "this sign-in link is not valid; ask for a new one (asgard login-link --user NAME)";
}

int link_problem_status(const std::string& problem) {
    return problem == "unknown" ? 404 : problem == "disabled" ? 403 : 410;
}

// Signs in the person the operator's single sign-on names (asgard_dashboard_user): a known user,
// or one created now when the setting dashboard.sso_create_users is true. A new session's cookie
// goes with the answer. Fills `out` with the refusal when it cannot.
std::optional<SessionUser> sso_sign_in(PgConnection& db, const DashboardRequest& req, DashboardResponse& out) {
    std::string name(req.sso_user);
    std::optional<UserRow> user = find_user(db, name);
    if (!user) {
        if (get_setting(db, "dashboard.sso_create_users", "false") != "true") {
            error(out, 403, "sso_user_unknown",
                  "single sign-on says you are " + name + ", who is not an Asgard user: ask an administrator to add you "
                  "(asgard user add NAME), or to let single sign-on create users (asgard settings set dashboard.sso_create_users true)");
            return std::nullopt;
        }
        try {
            user = pg_transaction(db, [&] {
                UserRow made = add_user(db, name, false);
                audit_append(db, {"user:" + name, std::nullopt, "user.add", std::nullopt, "ok",
                                  json_to_string(json_own(json_pack("{s:s,s:b,s:s}", "user", name.c_str(), "admin", 0, "via", "sso")).get())});
                return made;
            });
        } catch (const PgError& e) {
            if (e.sqlstate == "23505") {
                user = find_user(db, name);  // created meanwhile by the same person's other request
            } else if (e.sqlstate == "23514") {
                error(out, 403, "sso_user_invalid",
                      "single sign-on names '" + name + "', which is not a valid Asgard user name (lower-case letters, digits, "
                      "'.', '_' and '-', at most 63): the operator points asgard_dashboard_user at a header holding such a name");
                return std::nullopt;
            } else {
                throw;
            }
        }
        if (!user) throw std::runtime_error("the user single sign-on created could not be read back");
    }
    if (user_disabled(db, user->id)) {
        error(out, 403, "user_disabled", "single sign-on says you are " + name + ", whom an administrator has disabled: sign-in is refused");
        return std::nullopt;
    }
    OpenedSession session = open_browser_session(db, user->id, req.max_seconds);
    audit_append(db, {"user:" + user->name, std::nullopt, "dashboard.signin", std::nullopt, "ok",
                      json_to_string(json_own(json_pack("{s:s}", "via", "sso")).get())});
    out.set_cookie = session_cookie(req, session.secret, req.max_seconds);
    return SessionUser{session.id, user->id, user->name, user->is_admin};
}

void route(const DashboardRequest& req, DashboardResponse& out) {
    PgConnection& db = thread_pg();
    bool post = req.method == "POST";
    if (!post && req.method != "GET") return error(out, 405, "method_not_allowed", "use GET to read and POST to act");
    if (post && !same_origin_write(req))
        return error(out, 403, "cross_site_write_refused",
                     "a dashboard write must come from the dashboard itself (X-Asgard-Dashboard header, same origin)");
    Json body;
    if (post && !req.body.empty()) {
        json_error_t parse_error;
        body = json_own(json_loadb(req.body.data(), req.body.size(), 0, &parse_error));
        if (!body || !json_is_object(body.get())) return error(out, 400, "invalid_json", "the request body must be a JSON object");
    }

    // Signing in: the link's state, then its use (one press makes one session).
    if (req.path == "/signin/peek" || req.path == "/signin") {
        if (!post) return error(out, 405, "method_not_allowed", "use POST");
        auto secret = body_string(body, "link");
        if (!secret || secret->empty() || secret->size() > 100) return error(out, 400, "invalid_link", "link is required");
        if (req.path == "/signin/peek") {
            LinkState state = peek_login_link(db, *secret);
            if (!state.problem.empty()) return error(out, link_problem_status(state.problem), "link_unusable", link_problem_text(state.problem));
            return ok(out, 200, json_pack("{s:s}", "user", state.user.c_str()));
        }
        std::string problem;
        std::optional<std::string> session = redeem_login_link(db, *secret, req.max_seconds, problem);
        if (!session) return error(out, link_problem_status(problem), "link_unusable", link_problem_text(problem));
        std::optional<SessionUser> user = find_session(db, *session, req.idle_seconds);
        if (!user) return error(out, 500, "internal", "the new session could not be read back");
        audit_append(db, {"user:" + user->name, std::nullopt, "dashboard.signin", std::nullopt, "ok", "{}"});
        out.set_cookie = session_cookie(req, *session, req.max_seconds);
        return ok(out, 200, json_pack("{s:s,s:b}", "user", user->name.c_str(), "is_admin", user->is_admin));
    }

    std::string_view secret = cookie_value(req.cookie);
    std::optional<SessionUser> me = secret.empty() ? std::nullopt : find_session(db, secret, req.idle_seconds);
    if (!req.sso_user.empty() && (!me || me->name != req.sso_user)) {
        // The operator's single sign-on names someone this session is not (or there is none).
        if (me) end_session(db, me->session_id);
        me = sso_sign_in(db, req, out);
        if (!me) return;
    }
    if (!me) return error(out, 401, "not_signed_in", "sign in with a link from your administrator (asgard login-link)");

    if (req.path == "/me") {
        if (post) return error(out, 405, "method_not_allowed", "use GET");
        json_t* who = json_pack("{s:s,s:b}", "user", me->name.c_str(), "is_admin", me->is_admin);
        if (me->is_admin) json_object_set_new(who, "admin", admin_summary(db));
        return ok(out, 200, who);
    }
    if (req.path == "/signout") {
        if (!post) return error(out, 405, "method_not_allowed", "use POST");
        end_session(db, me->session_id);
        out.set_cookie = session_cookie(req, "", 0);
        return ok(out, 200, json_pack("{s:b}", "signed_out", 1));
    }
    if (req.path == "/tokens") {
        if (!post) {
            Json list = json_own(json_array());
            for (const TokenRow& t : list_user_tokens(db, me->user_id)) json_array_append_new(list.get(), token_json(t));
            return ok(out, 200, json_pack("{s:O}", "tokens", list.get()));
        }
        std::string name = body_string(body, "name").value_or("");
        if (name.size() > 100) return error(out, 400, "invalid_name", "name is at most 100 characters");
        json_t* days = body ? json_object_get(body.get(), "expires_days") : nullptr;
        json_int_t expires_days = days == nullptr ? 90 : json_is_integer(days) ? json_integer_value(days) : -1;
        if (expires_days < 1 || expires_days > 366)
            return error(out, 400, "invalid_expires_days", "expires_days must be an integer from 1 to 366");
        MintedToken token = pg_transaction(db, [&] {
            MintedToken t = create_user_token(db, me->user_id, expires_days * 86400, name);
            audit_append(db, {"user:" + me->name, t.id, "token.create", std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:I,s:s}", "user", me->name.c_str(), "token_id",
                                                                (json_int_t)t.id, "via", "dashboard")).get())});
            return t;
        });
        return ok(out, 201, json_pack("{s:I,s:s,s:s,s:s?,s:s?}", "id", (json_int_t)token.id, "token", token.plaintext.c_str(),
                                      "prefix", token.plaintext.substr(0, 12).c_str(), "name", name.empty() ? nullptr : name.c_str(),
                                      "expires", token.expires.empty() ? nullptr : token.expires.c_str()));
    }
    constexpr std::string_view kTokensPrefix = "/tokens/", kRevoke = "/revoke";
    if (req.path.size() > kTokensPrefix.size() + kRevoke.size() && req.path.substr(0, kTokensPrefix.size()) == kTokensPrefix &&
        req.path.substr(req.path.size() - kRevoke.size()) == kRevoke) {
        if (!post) return error(out, 405, "method_not_allowed", "use POST");
        std::string_view digits = req.path.substr(kTokensPrefix.size(), req.path.size() - kTokensPrefix.size() - kRevoke.size());
        std::int64_t id = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
        if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0)
            return error(out, 404, "not_found", "no such token");
        bool revoked = pg_transaction(db, [&] {
            bool done = revoke_user_token(db, me->user_id, id);
            if (done)
                audit_append(db, {"user:" + me->name, id, "token.revoke", std::nullopt, "ok",
                                  json_to_string(json_own(json_pack("{s:I,s:s}", "token_id", (json_int_t)id, "via", "dashboard")).get())});
            return done;
        });
        if (!revoked) return error(out, 404, "not_found", "no token " + std::to_string(id) + " of yours that is not revoked already");
        return ok(out, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
    }
    if (route_admin(req, *me, body.get(), out)) return;
    if (route_projects(req, *me, body.get(), out)) return;
    return error(out, 404, "not_found", "no such dashboard route");
}

}  // namespace

void handle_dashboard(const DashboardRequest& req, DashboardResponse& out) {
    out = DashboardResponse{};
    try {
        route(req, out);
    } catch (const PgError& e) {
        out.set_cookie.clear();
        out.log_line = std::string("asgard: dashboard: PostgreSQL: ") + e.what();
        error(out, 503, "database_unavailable", "the dashboard's database is unavailable; try again shortly");
    }
}

}  // namespace asg
