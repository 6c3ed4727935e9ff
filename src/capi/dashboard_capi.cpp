// The dashboard's part of the C boundary (asgard.h): a noexcept wrapper over dashboard_api/.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "asgard.h"
#include "dashboard_api/dashboard_api.hpp"

using namespace asg;

static std::string_view view(const asg_str_t& s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }

extern "C" void asg_dashboard_handle(const asg_dashboard_request_t* req, asg_dashboard_response_t* out) noexcept {
    static const char kInternal[] = "{\"error\":{\"code\":\"internal\",\"message\":\"internal error in the dashboard\"}}";
    std::memset(out, 0, sizeof *out);
    try {
        DashboardRequest in;
        in.method = view(req->method);
        in.path = view(req->path);
        in.query = view(req->query);
        in.body = view(req->body);
        in.cookie = view(req->cookie);
        in.host = view(req->host);
        in.origin = view(req->origin);
        in.fetch_site = view(req->fetch_site);
        in.csrf_header = req->csrf_header != 0;
        in.loopback = req->loopback != 0;
        in.sso_user = view(req->sso_user);
        DashboardResponse res;
        handle_dashboard(in, res);
        if (res.set_cookie.size() >= sizeof out->set_cookie) res.set_cookie.clear();
        std::size_t n = std::min(res.log_line.size(), sizeof out->log_line - 1);
        std::memcpy(out->log_line, res.log_line.data(), n);
        out->log_line[n] = '\0';
        std::memcpy(out->set_cookie, res.set_cookie.data(), res.set_cookie.size());
        out->set_cookie[res.set_cookie.size()] = '\0';
        out->body = static_cast<char*>(std::malloc(res.body.size() + 1));
        if (out->body == nullptr) {
            out->http_status = 500;
            return;
        }
        std::memcpy(out->body, res.body.data(), res.body.size());
        out->body_len = res.body.size();
        out->http_status = res.status;
    } catch (const std::exception& e) {
        // Out of memory or a broken invariant: logged by the glue; the request gets Asgard's answer.
        std::string_view what = e.what();
        std::string_view prefix = "asgard: dashboard request failed: ";
        std::size_t n = std::min(what.size(), sizeof out->log_line - prefix.size() - 1);
        std::memcpy(out->log_line, prefix.data(), prefix.size());
        std::memcpy(out->log_line + prefix.size(), what.data(), n);
        out->log_line[prefix.size() + n] = '\0';
        out->http_status = 500;
        out->body = static_cast<char*>(std::malloc(sizeof kInternal));
        if (out->body != nullptr) {
            std::memcpy(out->body, kInternal, sizeof kInternal);
            out->body_len = sizeof kInternal - 1;
        }
    }
}
