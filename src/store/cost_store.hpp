// Month-to-date cost of a project: provisioned services by price and gateway spend by model.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

// Money in integer micro-USD (util/money.hpp writes it as decimal text).
struct CostLine {
    std::string key;        // service type (with resource id) or model
    std::string resource;   // resource id for services
    std::int64_t micro_usd = 0;
    long long requests = 0, input_tokens = 0, output_tokens = 0;
};

struct CostDay {
    std::string day;  // YYYY-MM-DD (UTC)
    std::int64_t micro_usd = 0;
    long long requests = 0;
};

struct CostReport {
    std::string from, to;  // RFC 3339 window
    std::vector<CostLine> by_service, by_model;
    std::vector<CostDay> by_day;  // gateway spend per day of the window with calls, oldest first
    std::int64_t total_micro_usd = 0;
    std::optional<std::int64_t> budget_micro_usd;
};

// window: "month" (month to date, UTC) or "day" (today, UTC).
CostReport project_cost(PgConnection& db, const std::string& project_id, const std::string& window);
// Gateway spend of every project from the rollups (never the call rows), from `from` to `to` (UTC
// days, both included; `today` is today's): the total, per day, per model (spend_day_model), and
// the `top` projects that spent most (spend_project_month for whole months, spend_daily for the
// days of a month the range cuts).
struct SpendLine {
    std::string key;   // the day (YYYY-MM-DD), the model, or the project id
    std::string name;  // a project's name ("" otherwise)
    std::int64_t micro_usd = 0;
    long long requests = 0, input_tokens = 0, output_tokens = 0;
};
struct SpendReport {
    std::vector<SpendLine> by_day, by_model, by_project;  // days oldest first; the others by spend, largest first
    SpendLine total;
};
SpendReport spend_report(PgConnection& db, const std::string& from, const std::string& to, const std::string& today, int top);
void set_budget(PgConnection& db, const std::string& project_id, const std::string& monthly_usd);
// What the project spent this UTC month, in micro-USD (the gateway's budget baseline).
std::int64_t month_spend_micro(PgConnection& db, const std::string& project_id);

}  // namespace asg
