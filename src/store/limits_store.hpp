// Budgets and rate limits as the admin's money page reads them: projects page by page (keyset on
// the project id, never OFFSET) with their monthly budget, this month's gateway spend (from the
// daily rollups) and their rate limit, and the rate limits' SQL.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct ProjectMoneyRow {
    std::string project_id, name, owner;
    std::optional<std::int64_t> budget_micro_usd;
    std::int64_t spent_micro_usd = 0;  // this month (UTC), gateway calls
    std::optional<int> rpm, tpm;       // the project's own limits; nullopt: the default
};

// Up to `limit` projects after `after` (by id), those whose id or name contains `search` when given.
std::vector<ProjectMoneyRow> project_money_page(PgConnection& db, const std::string& after, const std::string& search, int limit);

struct RateLimitRow {
    std::string project_id;  // "" for the default
    int rpm = 0, tpm = 0;
};
RateLimitRow default_rate_limit(PgConnection& db);
void put_rate_limit(PgConnection& db, const std::string& project_id, int rpm, int tpm);

}  // namespace asg
