// SQL for users and tokens: creation, listing, minting (digest only) and revocation.
#include "store/user_store.hpp"

namespace asg {

static constexpr const char* kTime = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

static std::string ts(const std::string& column) {
    return "coalesce(to_char(" + column + " AT TIME ZONE 'UTC', " + kTime + "), '')";
}

UserRow add_user(PgConnection& db, const std::string& name, bool admin) {
    auto r = db.exec("INSERT INTO users (name, is_admin) VALUES ($1, $2) RETURNING id, " + ts("created_at"),
                     {name, admin ? "true" : "false"});
    return {r.int64(0, 0), name, admin, r.text(0, 1)};
}

std::optional<UserRow> find_user(PgConnection& db, const std::string& name) {
    auto r = db.exec("SELECT id, name, is_admin, " + ts("created_at") + " FROM users WHERE name = $1", {name});
    if (r.rows() == 0) return std::nullopt;
    return UserRow{r.int64(0, 0), r.text(0, 1), r.boolean(0, 2), r.text(0, 3)};
}

std::vector<UserRow> list_users(PgConnection& db) {
    auto r = db.exec("SELECT id, name, is_admin, " + ts("created_at") + " FROM users ORDER BY name");
    std::vector<UserRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), r.boolean(i, 2), r.text(i, 3)});
    return out;
}

MintedToken create_user_token(PgConnection& db, std::int64_t user_id, std::int64_t expires_in_seconds,
                              const std::string& name) {
    NewToken token = generate_token(TokenKind::user);
    PgParam expires = expires_in_seconds > 0 ? PgParam(std::to_string(expires_in_seconds)) : std::nullopt;
    auto r = db.exec(
        "INSERT INTO tokens (kind, user_id, digest, display_prefix, expires_at, name)"
        " VALUES ('user', $1, $2, $3, now() + make_interval(secs => $4::bigint), nullif($5, ''))"
        " RETURNING id, " + ts("expires_at"),
        {std::to_string(user_id), pg_bytea(as_view(token.digest)), token.display_prefix, expires, name});
    return {r.int64(0, 0), token.plaintext, r.text(0, 1)};
}

// Tokens as every listing reads them: `where` picks and orders them (t is tokens, u its user).
static std::vector<TokenRow> token_rows(PgConnection& db, const std::string& where, const std::vector<PgParam>& params) {
    auto r = db.exec("SELECT t.id, t.kind, coalesce(u.name, t.project_id), t.display_prefix, " + ts("t.created_at") + ", " +
                         ts("t.expires_at") + ", " + ts("t.revoked_at") + ", " + ts("t.last_used_at") +
                         ", t.may_provision, coalesce(t.default_data_class, ''), coalesce(t.name, '')"
                         " FROM tokens t LEFT JOIN users u ON u.id = t.user_id " + where,
                     params);
    std::vector<TokenRow> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5), r.text(i, 6),
                       r.text(i, 7), r.boolean(i, 8), r.text(i, 9), r.text(i, 10)});
    return out;
}

std::vector<TokenRow> list_user_tokens(PgConnection& db, std::int64_t user_id) {
    return token_rows(db, "WHERE t.kind = 'user' AND t.user_id = $1::bigint ORDER BY t.id DESC LIMIT 200", {std::to_string(user_id)});
}

bool revoke_user_token(PgConnection& db, std::int64_t user_id, std::int64_t token_id) {
    auto r = db.exec("UPDATE tokens SET revoked_at = now() WHERE id = $1 AND kind = 'user' AND user_id = $2 AND revoked_at IS NULL",
                     {std::to_string(token_id), std::to_string(user_id)});
    return r.command_tuples() == "1";
}

MintedToken rotate_project_key(PgConnection& db, const std::string& project_id, bool may_provision,
                               const std::string& default_data_class) {
    NewToken token = generate_token(TokenKind::project);
    std::string provision = may_provision ? "true" : "false";
    db.exec("UPDATE tokens SET revoked_at = now() WHERE kind = 'project' AND project_id = $1 AND revoked_at IS NULL"
            " AND may_provision = $2::boolean",
            {project_id, provision});
    auto r = db.exec("INSERT INTO tokens (kind, project_id, digest, display_prefix, may_provision, default_data_class)"
                     " VALUES ('project', $1, $2, $3, $4::boolean, nullif($5, '')) RETURNING id",
                     {project_id, pg_bytea(as_view(token.digest)), token.display_prefix, provision, default_data_class});
    return {r.int64(0, 0), token.plaintext, ""};
}

std::vector<TokenRow> list_tokens(PgConnection& db, const std::optional<std::string>& user) {
    return token_rows(db, "WHERE $1::text IS NULL OR u.name = $1 ORDER BY t.id", {user});
}

std::vector<TokenRow> list_project_keys(PgConnection& db, const std::string& project_id) {
    return token_rows(db, "WHERE t.kind = 'project' AND t.project_id = $1 AND t.revoked_at IS NULL ORDER BY t.id DESC", {project_id});
}

bool revoke_token(PgConnection& db, std::int64_t id) {
    auto r = db.exec("UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                     {std::to_string(id)});
    return r.command_tuples() == "1";
}

namespace {

std::string summary_select() {
    return "SELECT u.id, u.name, u.is_admin, " + ts("u.created_at") + ", coalesce(" + ts("u.disabled_at") +
           ", ''), coalesce(u.disabled_by, ''), coalesce(u.disabled_reason, ''),"
           " (SELECT count(*) FROM tokens t WHERE t.user_id = u.id AND t.kind = 'user' AND t.revoked_at IS NULL"
           "  AND (t.expires_at IS NULL OR t.expires_at > now())),"
           " (SELECT count(*) FROM projects p WHERE p.owner_id = u.id OR p.manager_id = u.id),"
           " coalesce((SELECT string_agg(g.group_name, ',' ORDER BY g.group_name) FROM group_members g WHERE g.user_id = u.id), '')"
           " FROM users u";
}

UserSummary summary_of(const PgResult& r, int i) {
    UserSummary s;
    s.user = {r.int64(i, 0), r.text(i, 1), r.boolean(i, 2), r.text(i, 3)};
    s.disabled_at = r.text(i, 4);
    s.disabled_by = r.text(i, 5);
    s.disabled_reason = r.text(i, 6);
    s.live_tokens = r.int64(i, 7);
    s.projects = r.int64(i, 8);
    std::string groups = r.text(i, 9);
    for (std::size_t start = 0; !groups.empty() && start <= groups.size();) {
        std::size_t comma = groups.find(',', start);
        s.groups.push_back(groups.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return s;
}

}  // namespace

std::vector<UserSummary> user_page(PgConnection& db, const std::string& search, const std::string& after, int limit) {
    // Names are lower case ASCII: a search is lower-cased and matched as a substring; the keyset is
    // the name (unique), so a page at any depth starts from the index.
    std::string needle;
    for (char c : search) needle += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    auto r = db.exec(summary_select() + " WHERE u.name > $1 AND ($2 = '' OR strpos(u.name, $2) > 0) ORDER BY u.name LIMIT $3",
                     {after, needle, std::to_string(limit)});
    std::vector<UserSummary> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(summary_of(r, i));
    return out;
}

std::optional<UserSummary> user_summary(PgConnection& db, const std::string& name) {
    auto r = db.exec(summary_select() + " WHERE u.name = $1", {name});
    if (r.rows() == 0) return std::nullopt;
    return summary_of(r, 0);
}

bool set_user_disabled(PgConnection& db, std::int64_t user_id, bool disabled, const std::string& by, const std::string& reason) {
    if (!disabled)
        return db.exec("UPDATE users SET disabled_at = NULL, disabled_by = NULL, disabled_reason = NULL"
                       " WHERE id = $1 AND disabled_at IS NOT NULL", {std::to_string(user_id)}).command_tuples() == "1";
    // The sessions end with the flag in one transaction: a page open in a browser is signed out at once.
    auto r = db.exec("WITH u AS (UPDATE users SET disabled_at = now(), disabled_by = $2, disabled_reason = $3"
                     " WHERE id = $1 AND disabled_at IS NULL RETURNING id),"
                     " s AS (UPDATE browser_sessions SET ended_at = now() WHERE user_id IN (SELECT id FROM u) AND ended_at IS NULL)"
                     " SELECT count(*) FROM u",
                     {std::to_string(user_id), by, reason});
    return r.int64(0, 0) == 1;
}

bool user_disabled(PgConnection& db, std::int64_t user_id) {
    return db.exec("SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NOT NULL", {std::to_string(user_id)}).rows() > 0;
}

bool set_user_admin(PgConnection& db, std::int64_t user_id, bool admin) {
    return db.exec("UPDATE users SET is_admin = $2 WHERE id = $1 AND is_admin <> $2",
                   {std::to_string(user_id), admin ? "true" : "false"}).command_tuples() == "1";
}

bool remove_group_member(PgConnection& db, const std::string& group, std::int64_t user_id) {
    return db.exec("DELETE FROM group_members WHERE group_name = $1 AND user_id = $2",
                   {group, std::to_string(user_id)}).command_tuples() == "1";
}

}  // namespace asg
