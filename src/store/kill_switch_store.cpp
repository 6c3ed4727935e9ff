// Kill switch SQL.
#include "store/kill_switch_store.hpp"

namespace asg {

std::vector<KillSwitchRow> list_kill_switches(PgConnection& db) {
    auto r = db.exec("SELECT scope, target, coalesce(reason, ''), set_by,"
                     " to_char(set_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM kill_switches ORDER BY scope, target");
    std::vector<KillSwitchRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
    return out;
}

bool put_kill_switch(PgConnection& db, const std::string& scope, const std::string& target, bool on,
                     const std::optional<std::string>& reason, const std::string& set_by) {
    if (on) {
        db.exec("INSERT INTO kill_switches (scope, target, reason, set_by) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (scope, target) DO UPDATE SET reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, set_at = now()",
                {scope, target, reason, set_by});
        return true;
    }
    return db.exec("DELETE FROM kill_switches WHERE scope = $1 AND target = $2", {scope, target}).command_tuples() == "1";
}

}  // namespace asg
