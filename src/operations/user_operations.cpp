// People: the rules around user_store's writes, and their audit rows.
#include "operations/user_operations.hpp"

#include "store/audit_log.hpp"
#include "store/project_store.hpp"
#include "util/json_ptr.hpp"

namespace asg {

namespace {

UserRow existing(PgConnection& db, const std::string& name) {
    std::optional<UserRow> u = find_user(db, name);
    if (!u) throw RequestRefused("not_found", "no user " + name);
    return *u;
}

void audit(PgConnection& db, const std::string& actor, const char* action, json_t* detail) {
    audit_append(db, {actor, std::nullopt, action, std::nullopt, "ok", json_to_string(json_own(detail).get())});
}

}  // namespace

UserRow create_user(PgConnection& db, const std::string& name, bool admin, const std::string& actor) {
    return pg_transaction(db, [&] {
        if (find_user(db, name)) throw RequestRefused("already_exists", "user " + name + " already exists");
        UserRow user = [&] {
            try {
                return add_user(db, name, admin);
            } catch (const PgError& e) {
                if (e.sqlstate == "23514")
                    throw RequestRefused("invalid", "invalid user name '" + name + "': use lower-case letters, digits, '.', '_' and '-' (max 63)");
                if (e.sqlstate == "23505") throw RequestRefused("already_exists", "user " + name + " already exists");
                throw;
            }
        }();
        audit(db, actor, "user.add", json_pack("{s:s,s:b}", "user", name.c_str(), "admin", user.is_admin));
        return user;
    });
}

bool disable_user(PgConnection& db, const std::string& name, const std::string& reason, const std::string& self,
                  const std::string& actor) {
    if (reason.empty()) throw RequestRefused("reason_required", "say why " + name + " is disabled: the reason is kept with the account");
    if (reason.size() > 500) throw RequestRefused("invalid", "the reason is at most 500 characters");
    if (!self.empty() && name == self) throw RequestRefused("not_authorized", "you cannot disable yourself");
    return pg_transaction(db, [&] {
        UserRow u = existing(db, name);
        if (!set_user_disabled(db, u.id, true, actor, reason)) return false;
        audit(db, actor, "user.disable", json_pack("{s:s,s:s}", "user", name.c_str(), "reason", reason.c_str()));
        return true;
    });
}

bool enable_user(PgConnection& db, const std::string& name, const std::string& actor) {
    return pg_transaction(db, [&] {
        UserRow u = existing(db, name);
        if (!set_user_disabled(db, u.id, false, actor, "")) return false;
        audit(db, actor, "user.enable", json_pack("{s:s}", "user", name.c_str()));
        return true;
    });
}

bool set_admin_flag(PgConnection& db, const std::string& name, bool admin, const std::string& self, const std::string& actor) {
    if (!admin && !self.empty() && name == self)
        throw RequestRefused("not_authorized", "you cannot remove your own admin flag: another administrator can");
    return pg_transaction(db, [&] {
        UserRow u = existing(db, name);
        if (!set_user_admin(db, u.id, admin)) return false;
        audit(db, actor, "user.admin", json_pack("{s:s,s:b}", "user", name.c_str(), "admin", admin));
        return true;
    });
}

bool set_group_member(PgConnection& db, const std::string& group, const std::string& name, bool member, const std::string& actor) {
    return pg_transaction(db, [&] {
        UserRow u = existing(db, name);
        bool changed;
        if (member) {
            if (user_in_group(db, u.id, group)) return false;
            try {
                add_group_member(db, group, u.id);
            } catch (const PgError& e) {
                if (e.sqlstate == "23514")
                    throw RequestRefused("invalid", "invalid group name '" + group + "' (lower-case letters, digits, '.', '_', '-')");
                throw;
            }
            changed = true;
        } else {
            changed = remove_group_member(db, group, u.id);
        }
        if (changed) audit(db, actor, member ? "group.add" : "group.remove", json_pack("{s:s,s:s}", "group", group.c_str(), "user", name.c_str()));
        return changed;
    });
}

}  // namespace asg
