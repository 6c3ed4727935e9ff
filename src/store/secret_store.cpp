// Secret rows: nonce + ciphertext only; the associated data is "project/name".
#include "store/secret_store.hpp"

#include "config/runtime_config.hpp"
#include "util/aead.hpp"
#include "util/crypto.hpp"

namespace asg {

static std::string associated(const std::string& project_id, const std::string& name) {
    return project_id + "/" + name;
}

void put_secret(PgConnection& db, const std::string& project_id, const std::string& name,
                const std::string& value, const std::string& created_by,
                const std::optional<std::string>& source_request) {
    Sealed sealed = aead_seal(runtime_config()->secrets_key, value, associated(project_id, name));
    // Never an upsert: a secret belongs to the request that made it, and a second writer of the
    // same name (two resources racing over DATABASE_URL) fails instead of taking it over.
    try {
        db.exec("INSERT INTO secrets (project_id, name, nonce, ciphertext, created_by, source_request)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                {project_id, name, pg_bytea(sealed.nonce), pg_bytea(sealed.ciphertext), created_by, source_request});
    } catch (const PgError& e) {
        if (e.sqlstate != kUniqueViolation) throw;
        throw PgError("the project already has a secret named " + name, e.sqlstate);
    }
}

std::optional<std::string> read_secret(PgConnection& db, const std::string& project_id, const std::string& name) {
    auto r = db.exec("SELECT nonce, ciphertext FROM secrets WHERE project_id = $1 AND name = $2", {project_id, name});
    if (r.rows() == 0) return std::nullopt;
    Sealed sealed{pg_bytea_bytes(r.text(0, 0)), pg_bytea_bytes(r.text(0, 1))};
    return aead_open(runtime_config()->secrets_key, sealed, associated(project_id, name));
}

std::vector<std::string> secret_names(PgConnection& db, const std::string& project_id) {
    auto r = db.exec("SELECT name FROM secrets WHERE project_id = $1 ORDER BY name", {project_id});
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
}

void delete_secret(PgConnection& db, const std::string& project_id, const std::string& name,
                   const std::string& source_request) {
    db.exec("DELETE FROM secrets WHERE project_id = $1 AND name = $2 AND source_request = $3",
            {project_id, name, source_request});
}

}  // namespace asg
