// Cost SQL: a service costs its monthly price pro rata for the time it was ready inside the window.
#include "store/cost_store.hpp"

#include <algorithm>
#include <cstdio>

#include "util/calendar.hpp"


namespace asg {

CostReport project_cost(PgConnection& db, const std::string& project_id, const std::string& window) {
    std::string start = window == "day" ? "date_trunc('day', now() AT TIME ZONE 'UTC')"
                                        : "date_trunc('month', now() AT TIME ZONE 'UTC')";
    CostReport report;
    auto bounds = db.exec("SELECT to_char(" + start + ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                          " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    report.from = bounds.text(0, 0);
    report.to = bounds.text(0, 1);
    auto services = db.exec(
        "WITH w AS (SELECT (" + start + ") AT TIME ZONE 'UTC' AS s, now() AS e,"
        " extract(epoch FROM (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month'"
        " - date_trunc('month', now() AT TIME ZONE 'UTC'))) AS month_seconds)"
        " SELECT r.service_type, r.id, round((r.price_usd_month * 1000000 * greatest(0, extract(epoch FROM"
        " (least(coalesce(r.released_at, w.e), w.e) - greatest(r.ready_at, w.s)))) / w.month_seconds)::numeric)::bigint"
        " FROM resource_requests r, w WHERE r.project_id = $1 AND r.ready_at IS NOT NULL"
        " AND r.ready_at < w.e AND coalesce(r.released_at, w.e) > w.s ORDER BY r.id",
        {project_id});
    for (int i = 0; i < services.rows(); ++i) {
        CostLine line{services.text(i, 0), services.text(i, 1), services.int64(i, 2)};
        report.total_micro_usd += line.micro_usd;
        report.by_service.push_back(line);
    }
    auto models = db.exec(
        "SELECT model, (sum(cost_usd) * 1000000)::bigint, sum(requests), sum(input_tokens), sum(output_tokens) FROM spend_daily"
        " WHERE project_id = $1 AND day >= (" + start + ")::date GROUP BY model ORDER BY model",
        {project_id});
    for (int i = 0; i < models.rows(); ++i) {
        CostLine line{models.text(i, 0), "", models.int64(i, 1), models.int64(i, 2), models.int64(i, 3), models.int64(i, 4)};
        report.total_micro_usd += line.micro_usd;
        report.by_model.push_back(line);
    }
    auto days = db.exec(
        "SELECT day::text, (sum(cost_usd) * 1000000)::bigint, sum(requests) FROM spend_daily"
        " WHERE project_id = $1 AND day >= (" + start + ")::date GROUP BY day ORDER BY day",
        {project_id});
    for (int i = 0; i < days.rows(); ++i) report.by_day.push_back({days.text(i, 0), days.int64(i, 1), days.int64(i, 2)});
    auto budget = db.exec("SELECT (monthly_usd * 1000000)::bigint FROM budgets WHERE project_id = $1", {project_id});
    if (budget.rows() > 0) report.budget_micro_usd = budget.int64(0, 0);
    return report;
}

void set_budget(PgConnection& db, const std::string& project_id, const std::string& monthly_usd) {
    db.exec("INSERT INTO budgets (project_id, monthly_usd) VALUES ($1, $2::numeric)"
            " ON CONFLICT (project_id) DO UPDATE SET monthly_usd = EXCLUDED.monthly_usd, updated_at = now()",
            {project_id, monthly_usd});
}

namespace {

// A calendar day's parts, and back.
struct Ymd {
    int y, m, d;
};
Ymd ymd(const std::string& day) { return {std::stoi(day.substr(0, 4)), std::stoi(day.substr(5, 2)), std::stoi(day.substr(8, 2))}; }
std::string day_text(int y, int m, int d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}
std::string pg_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& i : items) out += (out.size() > 1 ? "," : "") + i;
    return out + "}";
}

}  // namespace

SpendReport spend_report(PgConnection& db, const std::string& from, const std::string& to, const std::string& today, int top) {
    SpendReport out;
    // Days and models: spend_day_model, a row per day and model (migration 0017).
    auto r = db.exec(
        "SELECT GROUPING(day, model), coalesce(day::text, model, ''), coalesce(sum(cost_micro_usd), 0),"
        " coalesce(sum(requests), 0), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0)"
        " FROM spend_day_model WHERE day >= $1::date AND day <= $2::date"
        " GROUP BY GROUPING SETS ((day), (model), ()) ORDER BY 1, 2",
        {from, to});
    for (int i = 0; i < r.rows(); ++i) {
        SpendLine line{r.text(i, 1), "", r.int64(i, 2), r.int64(i, 3), r.int64(i, 4), r.int64(i, 5)};
        std::int64_t kind = r.int64(i, 0);
        if (kind == 1) out.by_day.push_back(std::move(line));
        else if (kind == 2) out.by_model.push_back(std::move(line));
        else out.total = std::move(line);
    }
    std::sort(out.by_model.begin(), out.by_model.end(), [](const SpendLine& a, const SpendLine& b) { return a.micro_usd > b.micro_usd; });

    // Projects: whole months from spend_project_month; the days of a month the range cuts from
    // spend_daily. A month is whole when the range starts by its first day and ends at its last day
    // or today (no spend is written for a day to come).
    std::vector<std::string> whole, span_from, span_to;
    Ymd f = ymd(from), t = ymd(to);
    for (int y = f.y, m = f.m; y < t.y || (y == t.y && m <= t.m); m == 12 ? (++y, m = 1) : ++m) {
        std::string first = day_text(y, m, 1), last = day_text(y, m, days_in_month(y, m));
        if (from <= first && (to >= last || to >= today)) {
            whole.push_back(first);
        } else {
            span_from.push_back(std::max(from, first));
            span_to.push_back(std::min(to, last));
        }
    }
    // Only the parts the range needs, each a range the planner reads by index: the cut months (at
    // most the first and the last) as day ranges of spend_daily's primary key (day first).
    std::vector<PgParam> params{std::to_string(top)};
    std::string parts;
    auto add = [&](const std::string& part) { parts += (parts.empty() ? "" : " UNION ALL ") + part; };
    if (!whole.empty()) {
        params.emplace_back(pg_array(whole));
        add("SELECT project_id, cost_micro_usd, requests, input_tokens, output_tokens FROM spend_project_month WHERE month = ANY($" +
            std::to_string(params.size()) + "::date[])");
    }
    for (std::size_t i = 0; i < span_from.size(); ++i) {
        params.emplace_back(span_from[i]);
        params.emplace_back(span_to[i]);
        add("SELECT project_id, (cost_usd * 1000000)::bigint, requests, input_tokens, output_tokens FROM spend_daily WHERE day >= $" +
            std::to_string(params.size() - 1) + "::date AND day <= $" + std::to_string(params.size()) + "::date");
    }
    auto p = db.exec(
        "WITH top AS (SELECT project_id, sum(cost_micro_usd)::bigint AS micro, sum(requests) AS requests,"
        "  sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens FROM (" + parts + ") x(project_id, cost_micro_usd, requests, input_tokens, output_tokens)"
        "  GROUP BY project_id ORDER BY 2 DESC, project_id LIMIT $1)"
        " SELECT top.project_id, coalesce(p.name, ''), micro, requests, input_tokens, output_tokens"
        " FROM top LEFT JOIN projects p ON p.id = top.project_id ORDER BY micro DESC, top.project_id",
        params);
    for (int i = 0; i < p.rows(); ++i)
        out.by_project.push_back({p.text(i, 0), p.text(i, 1), p.int64(i, 2), p.int64(i, 3), p.int64(i, 4), p.int64(i, 5)});
    return out;
}

std::int64_t month_spend_micro(PgConnection& db, const std::string& project_id) {
    return db.exec("SELECT coalesce((sum(cost_usd) * 1000000)::bigint, 0) FROM spend_daily"
                   " WHERE project_id = $1 AND day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date",
                   {project_id})
        .int64(0, 0);
}

}  // namespace asg
