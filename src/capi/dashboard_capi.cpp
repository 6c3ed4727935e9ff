// The dashboard's part of the C boundary (asgard.h): a noexcept wrapper over dashboard_api/.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
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
        in.cursor = view(req->cursor);
        DashboardResponse res;
        handle_dashboard(in, res);
        if (res.set_cookie.size() >= sizeof out->set_cookie) res.set_cookie.clear();
        std::size_t n = std::min(res.log_line.size(), sizeof out->log_line - 1);
        std::memcpy(out->log_line, res.log_line.data(), n);
        out->log_line[n] = '\0';
        std::memcpy(out->set_cookie, res.set_cookie.data(), res.set_cookie.size());
        out->set_cookie[res.set_cookie.size()] = '\0';
        // A header that does not fit is dropped; a cursor that does not fit ends the answer as a
        // failed part (the stream is cut, never silently shortened).
        auto copy = [](char* dst, std::size_t size, const std::string& v) {
            if (v.size() >= size) return false;
            std::memcpy(dst, v.data(), v.size());
            dst[v.size()] = '\0';
            return true;
        };
        copy(out->content_type, sizeof out->content_type, res.content_type);
        copy(out->content_disposition, sizeof out->content_disposition, res.content_disposition);
        if (!copy(out->next_cursor, sizeof out->next_cursor, res.next_cursor)) throw std::length_error("a stream cursor too long");
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
        out->content_type[0] = out->content_disposition[0] = out->next_cursor[0] = '\0';
        out->body = static_cast<char*>(std::malloc(sizeof kInternal));
        if (out->body != nullptr) {
            std::memcpy(out->body, kInternal, sizeof kInternal);
            out->body_len = sizeof kInternal - 1;
        }
    }
}
