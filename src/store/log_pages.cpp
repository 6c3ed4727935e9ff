// The log pages' SQL: a WHERE built from the filters in use only (so each plan fits its index:
// (at, id) and (column, at, id), migration 0014), every value a parameter.
#include "store/log_pages.hpp"

#include <charconv>

#include "util/calendar.hpp"

namespace asg {

namespace {

constexpr const char* kAtText = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

std::string at_text(const char* column) {
    char buf[128];
    std::snprintf(buf, sizeof buf, kAtText, column);
    return buf;
}

// The conditions in use, each with its "?" numbered as the next parameter.
struct Where {
    std::string sql;
    std::vector<PgParam> params;
    void add(const std::string& condition, const std::string& value) {
        params.emplace_back(value);
        std::string numbered = condition;
        for (std::size_t q; (q = numbered.find('?')) != std::string::npos;)
            numbered.replace(q, 1, "$" + std::to_string(params.size()));
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += numbered;
    }
    void position(const std::optional<LogPosition>& after) {
        if (!after) return;
        add("(at, id) < (?::timestamptz", after->at);
        params.emplace_back(std::to_string(after->id));
        sql += ", $" + std::to_string(params.size()) + "::bigint)";
    }
    void dates(const LogFilter& f) {
        if (!f.from.empty()) add("at >= (?::date)::timestamp AT TIME ZONE 'UTC'", f.from);
        if (!f.to.empty()) add("at < (?::date + 1)::timestamp AT TIME ZONE 'UTC'", f.to);
    }
};

GatewayCallRow call_of(const PgResult& r, int i) {
    return {r.int64(i, 0), r.int64(i, 3), r.int64(i, 7), r.int64(i, 8), r.int64(i, 9), r.int64(i, 10),
            r.text(i, 1), r.text(i, 2), r.text(i, 4), r.text(i, 5), r.text(i, 6), r.text(i, 11), r.text(i, 12)};
}

AuditRow audit_of(const PgResult& r, int i) {
    return {r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5), r.text(i, 6), r.text(i, 7)};
}

std::string call_columns() {
    return "id, " + at_text("at") + ", project_id, token_id, model, data_class, outcome, status, input_tokens,"
           " output_tokens, cost_micro_usd, redacted, request_id";
}

std::string audit_columns() {
    return "id, " + at_text("at") + ", actor, coalesce(credential_id::text, ''), tool, coalesce(project_id, ''), outcome, detail::text";
}

}  // namespace

std::string position_text(const LogPosition& p) { return p.at + "~" + std::to_string(p.id); }

std::optional<LogPosition> parse_position(const std::string& text) {
    std::size_t tilde = text.rfind('~');
    if (tilde == std::string::npos || tilde == 0) return std::nullopt;
    LogPosition p;
    p.at = text.substr(0, tilde);
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data() + tilde + 1, end, p.id);
    if (ec != std::errc() || ptr != end || p.id <= 0) return std::nullopt;
    // Exactly what at_text writes: YYYY-MM-DDTHH:MM:SS.ffffffZ.
    if (p.at.size() != 27 || p.at[10] != 'T' || p.at[26] != 'Z' || !valid_utc_day(std::string_view(p.at).substr(0, 10))) return std::nullopt;
    for (std::size_t i : {11u, 12u, 14u, 15u, 17u, 18u, 20u, 21u, 22u, 23u, 24u, 25u})
        if (p.at[i] < '0' || p.at[i] > '9') return std::nullopt;
    if (p.at[13] != ':' || p.at[16] != ':' || p.at[19] != '.') return std::nullopt;
    return p;
}

namespace {

// The page after `after`: the filters' conditions (and the days) already in `w`.
template <class Row, class RowOf>
std::vector<Row> newest_first(PgConnection& db, const std::string& from, Where& w, const LogFilter& f,
                              const std::optional<LogPosition>& after, int limit, RowOf row_of) {
    w.dates(f);
    w.position(after);
    w.params.emplace_back(std::to_string(limit));
    auto r = db.exec(from + w.sql + " ORDER BY at DESC, id DESC LIMIT $" + std::to_string(w.params.size()), w.params);
    std::vector<Row> rows;
    rows.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) rows.push_back(row_of(r, i));
    return rows;
}

}  // namespace

std::vector<AuditRow> audit_page(PgConnection& db, const LogFilter& f, const std::optional<LogPosition>& after, int limit) {
    Where w;
    if (!f.actor.empty()) w.add("actor = ?", f.actor);
    if (!f.project_id.empty()) w.add("project_id = ?", f.project_id);
    if (!f.action.empty()) w.add("tool = ?", f.action);
    if (!f.outcome.empty()) w.add("outcome = ?", f.outcome);
    return newest_first<AuditRow>(db, "SELECT " + audit_columns() + " FROM audit_log", w, f, after, limit, audit_of);
}

std::vector<GatewayCallRow> calls_page(PgConnection& db, const LogFilter& f, const std::optional<LogPosition>& after, int limit) {
    Where w;
    if (!f.project_id.empty()) w.add("project_id = ?", f.project_id);
    if (!f.model.empty()) w.add("model = ?", f.model);
    if (!f.outcome.empty()) {
        // The family picks the index; an exact outcome ("denied:rate_limited") is then a filter in it.
        std::string family = f.outcome.substr(0, f.outcome.find(':'));
        w.add("split_part(outcome, ':', 1) = ?", family);
        if (family != f.outcome) w.add("outcome = ?", f.outcome);
    }
    return newest_first<GatewayCallRow>(db, "SELECT " + call_columns() + " FROM gateway_calls", w, f, after, limit, call_of);
}

std::optional<AuditRow> audit_row(PgConnection& db, std::int64_t id) {
    auto r = db.exec("SELECT " + audit_columns() + " FROM audit_log WHERE id = $1", {std::to_string(id)});
    if (r.rows() == 0) return std::nullopt;
    return audit_of(r, 0);
}

std::optional<GatewayCallDetail> call_row(PgConnection& db, std::int64_t id) {
    auto r = db.exec("SELECT " + call_columns() +
                         ", coalesce((SELECT display_prefix FROM tokens WHERE tokens.id = token_id), ''), encode(row_hash, 'hex')"
                         " FROM gateway_calls WHERE id = $1",
                     {std::to_string(id)});
    if (r.rows() == 0) return std::nullopt;
    return GatewayCallDetail{call_of(r, 0), r.text(0, 13), r.text(0, 14)};
}

ChainBatch verify_chain_batch(PgConnection& db, ChainLog log, std::int64_t after_id, int limit) {
    // The first row's predecessor is the row before it by id (ids may have gaps), else nothing.
    const char* table = log == ChainLog::audit ? "audit_log" : "gateway_calls";
    std::string hash = log == ChainLog::audit
        ? "asgard_audit_row_hash(prev_hash, at, actor, credential_id, tool, project_id, outcome, detail)"
        : "asgard_gateway_call_hash(prev_hash, at, project_id, token_id, model, data_class, outcome, status,"
          " input_tokens, output_tokens, cost_micro_usd, redacted, request_id)";
    std::string t = table;
    auto r = db.exec("SELECT id, prev_hash = coalesce(lag(row_hash) OVER (ORDER BY id),"
                     " (SELECT row_hash FROM " + t + " WHERE id <= $1 ORDER BY id DESC LIMIT 1), '\\x'::bytea),"
                     " row_hash = " + hash + " FROM (SELECT * FROM " + t + " WHERE id > $1 ORDER BY id LIMIT $2) batch ORDER BY id",
                     {std::to_string(after_id), std::to_string(limit)});
    ChainBatch b;
    b.broken = first_chain_break(r, b.checked);
    b.through_id = r.rows() > 0 ? r.int64(r.rows() - 1, 0) : after_id;
    b.done = r.rows() < limit;
    return b;
}

}  // namespace asg
