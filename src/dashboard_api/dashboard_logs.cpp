// The admin's logs in the dashboard API (route_admin has checked the session is an admin's):
//   GET  /admin/calls?project=&model=&outcome=&from=&to=&after=     50 calls a page, newest first
//   GET  /admin/calls/ID                                           one call, with its key's prefix and hash
//   GET  /admin/calls.csv?(the same filters)                       every call the filters match, streamed
//   GET  /admin/audit?actor=&project=&action=&outcome=&from=&to=&after=
//   GET  /admin/audit/ID
//   GET  /admin/audit.csv?(the same filters)
//   POST /admin/verify  {log: "audit"|"calls", after_id}           walks the next batch of the hash chain
// Pages go by keyset (`next` is the last row's position), never OFFSET; nothing counts a table.
// A CSV answer comes in parts of kCsvPart rows: the glue asks again with the part's cursor.
#include <charconv>
#include <string_view>

#include "dashboard_api/dashboard_routes.hpp"
#include "config/runtime_config.hpp"
#include "gateway/spend_log.hpp"
#include "store/log_pages.hpp"
#include "util/json_ptr.hpp"
#include "util/money.hpp"

namespace asg {

namespace {

constexpr int kLogPage = 50;
constexpr int kCsvPart = 2000;

// The filters from the query string; false (with a 400 written) when one is not valid.
bool read_filter(const DashboardRequest& req, LogFilter& f, DashboardResponse& out) {
    f.actor = query_param(req.query, "actor");
    f.project_id = query_param(req.query, "project");
    f.action = query_param(req.query, "action");
    f.outcome = query_param(req.query, "outcome");
    f.model = query_param(req.query, "model");
    for (const std::string* v : {&f.actor, &f.project_id, &f.action, &f.outcome, &f.model}) {
        if (v->size() > 200) {
            dashboard_error(out, 400, "invalid_filter", "a filter is at most 200 characters");
            return false;
        }
    }
    return read_day_range(req, f.from, f.to, out);
}

// The page's start: the `after` parameter (a page's `next`), or the cursor of a CSV's next part.
bool read_position(std::string_view text, std::optional<LogPosition>& after, DashboardResponse& out) {
    if (text.empty()) return true;
    after = parse_position(std::string(text));
    if (!after) dashboard_error(out, 400, "invalid_cursor", "after is the `next` of the page before, e.g. 2026-12-07T06:01:35.103123Z~17");
    return after.has_value();
}

json_t* call_json(const GatewayCallRow& c) {
    return json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)c.id, "at", c.at.c_str(), "project_id",
                     c.project_id.c_str(), "key_id", (json_int_t)c.token_id, "model", c.model.c_str(), "data_class", c.data_class.c_str(),
                     "outcome", c.outcome.c_str(), "status", (json_int_t)c.status, "input_tokens", (json_int_t)c.input_tokens,
                     "output_tokens", (json_int_t)c.output_tokens, "cost_usd", format_usd(c.cost_micro_usd).c_str(), "redacted",
                     c.redacted.c_str(), "request_id", c.request_id.c_str());
}

json_t* audit_json(const AuditRow& a) {
    json_t* o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)a.id, "at", a.at.c_str(), "actor", a.actor.c_str(), "action",
                          a.tool.c_str(), "project_id", a.project_id.c_str(), "outcome", a.outcome.c_str());
    json_object_set_new(o, "credential_id", a.credential_id.empty() ? json_null() : json_integer(std::stoll(a.credential_id)));
    json_error_t err;
    json_t* detail = json_loads(a.detail.c_str(), JSON_DECODE_ANY, &err);
    json_object_set_new(o, "detail", detail ? detail : json_string(a.detail.c_str()));
    return o;
}

// One CSV field: always quoted, quotes doubled; a leading = + - @ (or tab, CR) made inert with an
// apostrophe so a spreadsheet never runs it as a formula.
void csv_field(std::string& out, std::string_view v, bool last) {
    out += '"';
    if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) out += '\'';
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    out += last ? "\r\n" : ",";
}

void csv_row(std::string& out, std::initializer_list<std::string_view> fields) {
    std::size_t i = 0;
    for (std::string_view f : fields) csv_field(out, f, ++i == fields.size());
}

template <class Row, class Page, class Write>
void csv(const DashboardRequest& req, DashboardResponse& out, const char* name, const char* header, Page page, Write write) {
    LogFilter f;
    std::optional<LogPosition> after;
    if (!read_filter(req, f, out) || !read_position(req.cursor, after, out)) return;
    std::vector<Row> rows = page(thread_pg(), f, after, kCsvPart);
    out.status = 200;
    out.content_type = "text/csv; charset=utf-8";
    out.content_disposition = std::string("attachment; filename=\"asgard-") + name + "-" + utc_day(now_ms()) + ".csv\"";
    out.body.clear();
    if (req.cursor.empty()) out.body = header;
    for (const Row& r : rows) write(out.body, r);
    if (rows.size() == static_cast<std::size_t>(kCsvPart)) out.next_cursor = position_text({rows.back().at, rows.back().id});
}

void write_call(std::string& out, const GatewayCallRow& c) {
    csv_row(out, {std::to_string(c.id), c.at, c.project_id, std::to_string(c.token_id), c.model, c.data_class, c.outcome,
                  std::to_string(c.status), std::to_string(c.input_tokens), std::to_string(c.output_tokens),
                  format_usd(c.cost_micro_usd), c.redacted, c.request_id});
}

void write_audit(std::string& out, const AuditRow& a) {
    csv_row(out, {std::to_string(a.id), a.at, a.actor, a.credential_id, a.tool, a.project_id, a.outcome, a.detail});
}

template <class Row, class Page, class ToJson>
void page(const DashboardRequest& req, DashboardResponse& out, Page read, ToJson to_json) {
    LogFilter f;
    std::optional<LogPosition> after;
    if (!read_filter(req, f, out) || !read_position(query_param(req.query, "after"), after, out)) return;
    std::vector<Row> rows = read(thread_pg(), f, after, kLogPage + 1);
    bool more = rows.size() > static_cast<std::size_t>(kLogPage);
    if (more) rows.pop_back();
    json_t* list = json_array();
    for (const Row& r : rows) json_array_append_new(list, to_json(r));
    dashboard_ok(out, 200, json_pack("{s:o,s:o}", "rows", list, "next",
                                     more ? json_string(position_text({rows.back().at, rows.back().id}).c_str()) : json_null()));
}

std::optional<std::int64_t> row_id(std::string_view text) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || p != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

void verify(const json_t* body, DashboardResponse& out) {
    const json_t* log = body ? json_object_get(body, "log") : nullptr;
    const json_t* after = body ? json_object_get(body, "after_id") : nullptr;
    std::string which = json_is_string(log) ? json_string_value(log) : "";
    if ((which != "audit" && which != "calls") || (after && !json_is_integer(after)) || (after && json_integer_value(after) < 0))
        return dashboard_error(out, 400, "invalid_verify", "log is \"audit\" or \"calls\"; after_id the through_id of the batch before (0 to start)");
    ChainBatch b = verify_chain_batch(thread_pg(), which == "audit" ? ChainLog::audit : ChainLog::calls,
                                      after ? json_integer_value(after) : 0, kChainBatchRows);
    dashboard_ok(out, 200, json_pack("{s:s,s:I,s:I,s:b,s:b,s:s}", "log", which.c_str(), "checked", (json_int_t)b.checked, "through_id",
                                     (json_int_t)b.through_id, "done", b.done || !b.broken.empty(), "intact", b.broken.empty(),
                                     "broken", b.broken.c_str()));
}

}  // namespace

bool route_logs(std::string_view path, const DashboardRequest& req, const json_t* body, DashboardResponse& out) {
    bool post = req.method == "POST";
    if (path == "verify") {
        if (!post) dashboard_error(out, 405, "method_not_allowed", "use POST");
        else verify(body, out);
        return true;
    }
    bool calls = path.substr(0, 5) == "calls";
    bool audit = path.substr(0, 5) == "audit";
    if (!calls && !audit) return false;
    std::string_view rest = path.substr(5);
    if (!rest.empty() && rest != ".csv" && rest[0] != '/') return false;
    if (post) {
        dashboard_error(out, 405, "method_not_allowed", "use GET");
        return true;
    }
    if (rest.empty()) {
        if (calls) page<GatewayCallRow>(req, out, calls_page, call_json);
        else page<AuditRow>(req, out, audit_page, audit_json);
        return true;
    }
    if (rest == ".csv") {
        if (calls)
            csv<GatewayCallRow>(req, out, "calls",
                                "id,at,project_id,key_id,model,data_class,outcome,status,input_tokens,output_tokens,cost_usd,redacted,request_id\r\n",
                                calls_page, write_call);
        else
            csv<AuditRow>(req, out, "audit", "id,at,actor,credential_id,action,project_id,outcome,detail\r\n", audit_page, write_audit);
        return true;
    }
    std::optional<std::int64_t> id = row_id(rest.substr(1));
    if (!id) {
        dashboard_error(out, 404, "not_found", "no such row: ids are whole numbers");
        return true;
    }
    if (calls) {
        auto c = call_row(thread_pg(), *id);
        if (!c) return dashboard_error(out, 404, "not_found", "no gateway call " + std::to_string(*id)), true;
        json_t* o = call_json(c->row);
        json_object_set_new(o, "key_prefix", json_string(c->key_prefix.c_str()));
        json_object_set_new(o, "row_hash", json_string(c->row_hash.c_str()));
        dashboard_ok(out, 200, json_pack("{s:o}", "call", o));
    } else {
        auto a = audit_row(thread_pg(), *id);
        if (!a) return dashboard_error(out, 404, "not_found", "no audit row " + std::to_string(*id)), true;
        dashboard_ok(out, 200, json_pack("{s:o}", "entry", audit_json(*a)));
    }
    return true;
}

}  // namespace asg
