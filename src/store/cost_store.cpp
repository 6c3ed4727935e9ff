// Cost SQL: a service costs its monthly price pro rata for the time it was ready inside the window.
#include "store/cost_store.hpp"


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

}  // namespace asg
