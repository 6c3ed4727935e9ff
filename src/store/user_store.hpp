// Users and their credentials (tokens) in PostgreSQL.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/token_format.hpp"
#include "store/pg_connection.hpp"

namespace asg {

struct UserRow {
    std::int64_t id = 0;
    std::string name;
    bool is_admin = false;
    std::string created;
};

struct TokenRow {
    std::int64_t id = 0;
    std::string kind, owner, display_prefix, created, expires, revoked, last_used;
    bool may_provision = false;
    std::string default_data_class;  // "" for none
    std::string name;                // a PAT's name from its owner ("" for none)
};

UserRow add_user(PgConnection& db, const std::string& name, bool admin);  // throws on duplicates
std::optional<UserRow> find_user(PgConnection& db, const std::string& name);
std::vector<UserRow> list_users(PgConnection& db);

// What the admin's user pages show of a person.
struct UserSummary {
    UserRow user;
    std::string disabled_at, disabled_by, disabled_reason;  // "" when not disabled
    std::int64_t live_tokens = 0;   // PATs neither revoked nor expired
    std::int64_t projects = 0;      // projects they own or manage
    std::vector<std::string> groups;
};
// Up to `limit` people by name after `after` ("" from the start), their name containing `search`.
std::vector<UserSummary> user_page(PgConnection& db, const std::string& search, const std::string& after, int limit);
std::optional<UserSummary> user_summary(PgConnection& db, const std::string& name);
// false when the person was in that state already.
bool set_user_disabled(PgConnection& db, std::int64_t user_id, bool disabled, const std::string& by, const std::string& reason);
bool user_disabled(PgConnection& db, std::int64_t user_id);
bool set_user_admin(PgConnection& db, std::int64_t user_id, bool admin);
// false when the person was not in the group.
bool remove_group_member(PgConnection& db, const std::string& group, std::int64_t user_id);

struct MintedToken {
    std::int64_t id;
    std::string plaintext;
    std::string expires;  // "" when it never expires
};
// expires_in_seconds: 0 for no expiry.
MintedToken create_user_token(PgConnection& db, std::int64_t user_id, std::int64_t expires_in_seconds,
                              const std::string& name = "");
// A user's own PATs, newest first.
std::vector<TokenRow> list_user_tokens(PgConnection& db, std::int64_t user_id);
// Revokes one of the user's own PATs: false when it is not theirs or already revoked.
bool revoke_user_token(PgConnection& db, std::int64_t user_id, std::int64_t token_id);
// Mints a new project key (asg_...) and revokes the project's earlier keys of the same kind, in one
// statement pair: rotating the deployed app's key leaves a CI key minted with may_provision alone,
// and the other way round.
// default_data_class: the data class of the key's gateway calls that name none ("" for none).
MintedToken rotate_project_key(PgConnection& db, const std::string& project_id, bool may_provision = false,
                               const std::string& default_data_class = "");
std::vector<TokenRow> list_tokens(PgConnection& db, const std::optional<std::string>& user);
// A project's live keys (not revoked), newest first: the app's key and a CI key minted with
// may_provision at most, as rotation leaves them.
std::vector<TokenRow> list_project_keys(PgConnection& db, const std::string& project_id);
// Returns false when no such live token exists.
bool revoke_token(PgConnection& db, std::int64_t id);

}  // namespace asg
