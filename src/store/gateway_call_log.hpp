// Reading and verifying the gateway's hash-chained call log (gateway_calls; the gateway's spend
// log writes it).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct GatewayCallRow {
    std::int64_t id, token_id, status, input_tokens, output_tokens, cost_micro_usd;
    std::string at, project_id, model, data_class, outcome, redacted, request_id;
};

// The last `limit` calls, oldest first; of one project when `project_id` is given.
std::vector<GatewayCallRow> gateway_calls_tail(PgConnection& db, int limit, const std::optional<std::string>& project_id);

// Walks the chain; returns "" when intact, else where it breaks.
std::string gateway_calls_verify(PgConnection& db, std::int64_t& rows_checked);

}  // namespace asg
