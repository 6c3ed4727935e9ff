// People, one implementation for asgard user/group and the dashboard's Users page: create a user,
// disable or enable one, the admin flag, group membership. Each writes its audit row (user.add,
// user.disable, user.enable, user.admin, group.add, group.remove) with the actor given in the
// transaction that decides. Refusals throw RequestRefused (provisioning/request_flow.hpp):
// not_found, already_exists, invalid, and not_authorized for what would lock the actor out.
#pragma once
#include <string>

#include "provisioning/request_flow.hpp"
#include "store/pg_connection.hpp"
#include "store/user_store.hpp"

namespace asg {

UserRow create_user(PgConnection& db, const std::string& name, bool admin, const std::string& actor);

// Disabled: their PATs stop authenticating within the token cache TTL, their dashboard sessions
// end now, and no link or SSO signs them in; a reason is required. `self` is the acting person
// ("" for the CLI): nobody disables themselves. False when nothing changed.
bool disable_user(PgConnection& db, const std::string& name, const std::string& reason, const std::string& self,
                  const std::string& actor);
bool enable_user(PgConnection& db, const std::string& name, const std::string& actor);

// Nobody removes their own admin flag (`self` as above). False when nothing changed.
bool set_admin_flag(PgConnection& db, const std::string& name, bool admin, const std::string& self, const std::string& actor);

// False when nothing changed (already a member; not a member).
bool set_group_member(PgConnection& db, const std::string& group, const std::string& name, bool member, const std::string& actor);

}  // namespace asg
