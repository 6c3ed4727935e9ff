// Migration runner: one transaction per migration under an advisory lock, checksums recorded.
#include "store/migrations.hpp"

#include <set>

#include "util/crypto.hpp"

namespace asg {

static const char kLedger[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static std::string checksum_of(const Migration& m) { return to_hex(as_view(sha256(m.sql))); }

std::vector<std::string> migrate(PgConnection& db) {
    std::vector<std::string> applied;
    for (std::size_t i = 0; i < kMigrationCount; ++i) {
        const Migration& m = kMigrations[i];
        bool ran = pg_transaction(db, [&] {
            db.exec("SELECT pg_advisory_xact_lock(hashtext('asgard.migrate'))");
            db.exec(kLedger);
            auto done = db.exec("SELECT checksum FROM schema_migrations WHERE version = $1",
                                {std::to_string(m.version)});
            if (done.rows() > 0) {
                if (done.text(0, 0) != checksum_of(m))
                    throw std::runtime_error("migration " + std::to_string(m.version) + " (" +
                                             m.name + ") changed after it was applied");
                return false;
            }
            db.exec_script(m.sql);
            db.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    {std::to_string(m.version), std::string(m.name), checksum_of(m)});
            return true;
        });
        if (ran) applied.push_back(std::to_string(m.version) + "_" + m.name);
    }
    return applied;
}

std::vector<MigrationStatus> migration_status(PgConnection& db) {
    std::set<int> done;
    auto exists = db.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (exists.boolean(0, 0)) {
        auto rows = db.exec("SELECT version FROM schema_migrations");
        for (int r = 0; r < rows.rows(); ++r) done.insert(static_cast<int>(rows.int64(r, 0)));
    }
    std::vector<MigrationStatus> out;
    for (std::size_t i = 0; i < kMigrationCount; ++i)
        out.push_back({kMigrations[i].version, kMigrations[i].name,
                       done.count(kMigrations[i].version) > 0});
    return out;
}

}  // namespace asg
