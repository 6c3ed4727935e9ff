// Filtered pages of the audit log and the gateway call log, newest first, by keyset on (at, id)
// (no OFFSET, no count over a table), one row's detail, and the hash chains walked in bounded
// batches (each batch one statement, so a million rows never sit in one answer).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/audit_log.hpp"
#include "store/gateway_call_log.hpp"
#include "store/pg_connection.hpp"

namespace asg {

// Every field "" for no filter. Dates are UTC calendar days, both ends included.
struct LogFilter {
    std::string actor;       // the audit log's actor, exactly ("user:alice")
    std::string project_id;
    std::string action;      // the audit log's tool or command ("register_project", "killswitch.set")
    std::string outcome;     // exactly; on the call log a family ("denied", "ok") means each outcome in it
    std::string model;       // the call log's model alias
    std::string from, to;    // "YYYY-MM-DD"
};

// Where a page ends: the last row's time (ISO 8601, microseconds, UTC) and id. As text
// "2026-12-07T06:01:35.103123Z~17", the page's `next` cursor.
struct LogPosition {
    std::string at;
    std::int64_t id = 0;
};
std::string position_text(const LogPosition& p);
std::optional<LogPosition> parse_position(const std::string& text);

// Up to `limit` rows after `after` (from the newest when absent), newest first. `at` has
// microseconds, so a row's time is also its position.
std::vector<AuditRow> audit_page(PgConnection& db, const LogFilter& f, const std::optional<LogPosition>& after, int limit);
std::vector<GatewayCallRow> calls_page(PgConnection& db, const LogFilter& f, const std::optional<LogPosition>& after, int limit);

std::optional<AuditRow> audit_row(PgConnection& db, std::int64_t id);
struct GatewayCallDetail {
    GatewayCallRow row;
    std::string key_prefix;    // the project key's display prefix ("" if the key row is gone)
    std::string row_hash;      // hex
};
std::optional<GatewayCallDetail> call_row(PgConnection& db, std::int64_t id);

enum class ChainLog { audit, calls };
struct ChainBatch {
    std::int64_t checked = 0;     // rows walked by this batch
    std::int64_t through_id = 0;  // the last row walked (after_id when none)
    bool done = false;            // no row after through_id
    std::string broken;           // where the chain breaks, "" when intact so far
};
// Walks up to `limit` rows after `after_id`: each must hash to its content and point at the row
// before it (the row before after_id for the first one).
ChainBatch verify_chain_batch(PgConnection& db, ChainLog log, std::int64_t after_id, int limit);
// The whole chain, batch after batch; "" when intact, else where it breaks.
std::string verify_whole_chain(PgConnection& db, ChainLog log, std::int64_t& rows_checked);
inline constexpr int kChainBatchRows = 50000;

}  // namespace asg
