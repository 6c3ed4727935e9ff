// The kill switches in PostgreSQL: global, per project, per model (the gateway reads them into its
// configuration snapshot and refuses within its refresh interval).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct KillSwitchRow {
    std::string scope, target, reason, set_by, set_at;  // scope: global, project, model
};

std::vector<KillSwitchRow> list_kill_switches(PgConnection& db);
// On (set or updated) or off; returns false when turning off one that was not on.
bool put_kill_switch(PgConnection& db, const std::string& scope, const std::string& target, bool on,
                     const std::optional<std::string>& reason, const std::string& set_by);

}  // namespace asg
