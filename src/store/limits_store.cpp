// SQL for the money page and the rate limits.
#include "store/limits_store.hpp"

namespace asg {

std::vector<ProjectMoneyRow> project_money_page(PgConnection& db, const std::string& after, const std::string& search, int limit) {
    // The month's spend per project of the page only: spend_daily_project_day_idx (migration 0012).
    auto r = db.exec(
        "WITH page AS (SELECT p.id, p.name, u.name AS owner FROM projects p JOIN users u ON u.id = p.owner_id"
        "  WHERE p.id > $1 AND ($2 = '' OR strpos(p.id, $2) > 0 OR strpos(lower(p.name), lower($2)) > 0)"
        "  ORDER BY p.id LIMIT $3::int)"
        " SELECT page.id, page.name, page.owner, (b.monthly_usd * 1000000)::bigint,"
        "  coalesce((SELECT (sum(s.cost_usd) * 1000000)::bigint FROM spend_daily s WHERE s.project_id = page.id"
        "   AND s.day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0), l.rpm, l.tpm"
        " FROM page LEFT JOIN budgets b ON b.project_id = page.id LEFT JOIN rate_limits l ON l.project_id = page.id"
        " ORDER BY page.id",
        {after, search, std::to_string(limit)});
    std::vector<ProjectMoneyRow> out;
    for (int i = 0; i < r.rows(); ++i) {
        ProjectMoneyRow row;
        row.project_id = r.text(i, 0);
        row.name = r.text(i, 1);
        row.owner = r.text(i, 2);
        if (!r.is_null(i, 3)) row.budget_micro_usd = r.int64(i, 3);
        row.spent_micro_usd = r.int64(i, 4);
        if (!r.is_null(i, 5)) row.rpm = static_cast<int>(r.int64(i, 5));
        if (!r.is_null(i, 6)) row.tpm = static_cast<int>(r.int64(i, 6));
        out.push_back(std::move(row));
    }
    return out;
}

RateLimitRow default_rate_limit(PgConnection& db) {
    auto r = db.exec("SELECT rpm, tpm FROM rate_limits WHERE project_id = ''");
    if (r.rows() == 0) return {"", 0, 0};
    return {"", static_cast<int>(r.int64(0, 0)), static_cast<int>(r.int64(0, 1))};
}

void put_rate_limit(PgConnection& db, const std::string& project_id, int rpm, int tpm) {
    db.exec("INSERT INTO rate_limits (project_id, rpm, tpm) VALUES ($1, $2::int, $3::int)"
            " ON CONFLICT (project_id) DO UPDATE SET rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm",
            {project_id, std::to_string(rpm), std::to_string(tpm)});
}

}  // namespace asg
