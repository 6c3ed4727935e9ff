// The dashboard's JSON API (/api/dashboard/...) for people: sign-in by one-time link, the browser
// session (an HttpOnly cookie), who I am, sign-out, and my PATs (create, shown once; list;
// revoke). Runs on a pool thread (PostgreSQL). Writes need the X-Asgard-Dashboard header and a
// same-origin Origin / Sec-Fetch-Site (CSRF); every action writes the audit row the CLI writes.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace asg {

struct DashboardRequest {
    std::string_view method, path;  // path below /api/dashboard, e.g. "/tokens"
    std::string_view query;         // the query string, without "?"
    std::string_view body, cookie, host, origin, fetch_site;
    bool csrf_header = false;  // X-Asgard-Dashboard was sent
    bool loopback = false;     // the Host is a loopback address: the cookie may go without Secure
    std::string_view sso_user;  // who the operator's single sign-on says this is (asgard_dashboard_user); "" for nobody
    std::string_view cursor;    // a streamed answer's next part: the next_cursor of the part before ("" for the first)
    std::int64_t idle_seconds = 12 * 3600, max_seconds = 7 * 24 * 3600;
};

struct DashboardResponse {
    int status = 200;
    std::string body;        // JSON, unless content_type says otherwise
    std::string set_cookie;  // "" for none
    std::string log_line;    // a server-side failure for the error log ("" for none)
    std::string content_type;         // "" for application/json
    std::string content_disposition;  // "" for none
    std::string next_cursor;          // "" when the answer is whole; else ask again with it for the next part
};

void handle_dashboard(const DashboardRequest& req, DashboardResponse& out);

// The name of the session cookie.
inline constexpr std::string_view kSessionCookie = "asgard_session";

}  // namespace asg
