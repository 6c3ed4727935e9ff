// Audit log SQL: append through asgard_audit_append(), tail, and chain verification.
#include "store/audit_log.hpp"

#include "store/log_pages.hpp"

namespace asg {

std::int64_t audit_append(PgConnection& db, const AuditEntry& e) {
    auto r = db.exec("SELECT asgard_audit_append($1, $2, $3, $4, $5, $6::jsonb)",
                     {e.actor, e.credential_id ? PgParam(std::to_string(*e.credential_id)) : std::nullopt,
                      e.tool, e.project_id, e.outcome, e.detail_json});
    return r.int64(0, 0);
}

std::vector<AuditRow> audit_tail(PgConnection& db, int limit) {
    auto r = db.exec(
        "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), actor,"
        " coalesce(credential_id::text, ''), tool, coalesce(project_id, ''), outcome, detail::text"
        " FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT $1) t ORDER BY id",
        {std::to_string(limit)});
    std::vector<AuditRow> rows;
    for (int i = 0; i < r.rows(); ++i)
        rows.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
                        r.text(i, 5), r.text(i, 6), r.text(i, 7)});
    return rows;
}

std::string audit_verify(PgConnection& db, std::int64_t& rows_checked) {
    return verify_whole_chain(db, ChainLog::audit, rows_checked);
}

std::string verify_whole_chain(PgConnection& db, ChainLog log, std::int64_t& rows_checked) {
    // In batches, so the walk's memory is one batch's whatever the log's length.
    rows_checked = 0;
    for (std::int64_t after = 0;;) {
        ChainBatch b = verify_chain_batch(db, log, after, kChainBatchRows);
        rows_checked += b.checked;
        if (!b.broken.empty() || b.done) return b.broken;
        after = b.through_id;
    }
}

std::string first_chain_break(const PgResult& r, std::int64_t& rows_checked) {
    rows_checked = r.rows();
    for (int i = 0; i < r.rows(); ++i) {
        std::string id = r.text(i, 0);
        if (!r.boolean(i, 2)) return "row " + id + " was edited: its hash does not match its content";
        if (!r.boolean(i, 1))
            return "the chain breaks before row " + id + ": a row before it was deleted or edited";
    }
    return "";
}

}  // namespace asg
