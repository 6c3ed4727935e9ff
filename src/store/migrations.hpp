// Versioned schema migrations: the embedded list and the idempotent runner.
#pragma once
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

// Generated at build time from src/store/migrations/NNNN_name.sql.
extern const Migration kMigrations[];
extern const std::size_t kMigrationCount;

struct MigrationStatus {
    int version;
    std::string name;
    bool applied;
};

// Applies every pending migration, each in its own transaction; returns the names applied.
std::vector<std::string> migrate(PgConnection& db);
std::vector<MigrationStatus> migration_status(PgConnection& db);

}  // namespace asg
