// Project secrets, sealed with AES-256-GCM under the master-derived key before they reach PostgreSQL.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

void put_secret(PgConnection& db, const std::string& project_id, const std::string& name,
                const std::string& value, const std::string& created_by,
                const std::optional<std::string>& source_request);
// nullopt when there is no such secret.
std::optional<std::string> read_secret(PgConnection& db, const std::string& project_id, const std::string& name);
std::vector<std::string> secret_names(PgConnection& db, const std::string& project_id);
// Deletes the secret only if that request made it: releasing one resource never removes another's.
void delete_secret(PgConnection& db, const std::string& project_id, const std::string& name,
                   const std::string& source_request);

}  // namespace asg
