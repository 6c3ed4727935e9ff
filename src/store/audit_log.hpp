// Appending to and verifying the hash-chained audit log.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct AuditEntry {
    std::string actor;                       // "user:alice", "cli:root", ...
    std::optional<std::int64_t> credential_id;  // token id, never the token
    std::string tool;                        // tool or command name
    std::optional<std::string> project_id;
    std::string outcome;                     // "ok", "denied", "error"
    std::string detail_json = "{}";          // never a secret value
};

std::int64_t audit_append(PgConnection& db, const AuditEntry& entry);

struct AuditRow {
    std::int64_t id;
    std::string at, actor, credential_id, tool, project_id, outcome, detail;
};
std::vector<AuditRow> audit_tail(PgConnection& db, int limit);

// Walks the chain; returns "" when intact, else where it breaks.
std::string audit_verify(PgConnection& db, std::int64_t& rows_checked);

// The first break in a hash chain, given rows (id, prev_hash matches the row before,
// row_hash matches the content) in id order; "" when there is none.
std::string first_chain_break(const PgResult& rows, std::int64_t& rows_checked);

}  // namespace asg
