// The gateway call log's SQL: the tail, and the chain walk asgard_gateway_call_hash() recomputes.
#include "store/gateway_call_log.hpp"

#include "store/audit_log.hpp"
#include "store/log_pages.hpp"

namespace asg {

std::vector<GatewayCallRow> gateway_calls_tail(PgConnection& db, int limit, const std::optional<std::string>& project_id) {
    auto r = db.exec(
        "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), project_id, token_id, model,"
        " data_class, outcome, status, input_tokens, output_tokens, cost_micro_usd, redacted, request_id"
        " FROM (SELECT * FROM gateway_calls WHERE $2::text IS NULL OR project_id = $2 ORDER BY id DESC LIMIT $1) t"
        " ORDER BY id",
        {std::to_string(limit), project_id ? PgParam(*project_id) : std::nullopt});
    std::vector<GatewayCallRow> rows;
    for (int i = 0; i < r.rows(); ++i)
        rows.push_back({r.int64(i, 0), r.int64(i, 3), r.int64(i, 7), r.int64(i, 8), r.int64(i, 9), r.int64(i, 10),
                        r.text(i, 1), r.text(i, 2), r.text(i, 4), r.text(i, 5), r.text(i, 6), r.text(i, 11), r.text(i, 12)});
    return rows;
}

std::string gateway_calls_verify(PgConnection& db, std::int64_t& rows_checked) {
    return verify_whole_chain(db, ChainLog::calls, rows_checked);
}

}  // namespace asg
