// SQL for sign-in links and browser sessions.
#include "store/browser_session_store.hpp"

#include "util/base62.hpp"
#include "util/crypto.hpp"

namespace asg {

namespace {

std::string digest_of(std::string_view secret) { return pg_bytea(as_view(sha256(secret))); }

}  // namespace

std::string new_browser_secret() { return random_base62(43); }

LoginLink create_login_link(PgConnection& db, std::int64_t user_id, std::int64_t ttl_seconds) {
    std::string secret = new_browser_secret();
    auto r = db.exec(
        "INSERT INTO login_links (digest, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::bigint))"
        " RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        {digest_of(secret), std::to_string(user_id), std::to_string(ttl_seconds)});
    return {secret, r.text(0, 0)};
}

LinkState peek_login_link(PgConnection& db, std::string_view secret) {
    auto r = db.exec(
        "SELECT u.name, CASE WHEN u.disabled_at IS NOT NULL THEN 'disabled' WHEN l.used_at IS NOT NULL THEN 'used'"
        " WHEN l.expires_at <= now() THEN 'expired' ELSE '' END"
        " FROM login_links l JOIN users u ON u.id = l.user_id WHERE l.digest = $1",
        {digest_of(secret)});
    if (r.rows() == 0) return {"", "unknown"};
    return {r.text(0, 0), r.text(0, 1)};
}

std::optional<std::string> redeem_login_link(PgConnection& db, std::string_view secret, std::int64_t max_seconds,
                                             std::string& problem) {
    return pg_transaction(db, [&]() -> std::optional<std::string> {
        // The row lock makes the link single-use however many presses race.
        auto used = db.exec(
            "UPDATE login_links l SET used_at = now() FROM users u WHERE l.digest = $1 AND l.used_at IS NULL"
            " AND l.expires_at > now() AND u.id = l.user_id AND u.disabled_at IS NULL RETURNING l.user_id",
            {digest_of(secret)});
        if (used.rows() == 0) {
            problem = peek_login_link(db, secret).problem;
            if (problem.empty()) problem = "used";
            return std::nullopt;
        }
        return open_browser_session(db, used.int64(0, 0), max_seconds).secret;
    });
}

OpenedSession open_browser_session(PgConnection& db, std::int64_t user_id, std::int64_t max_seconds) {
    std::string session = new_browser_secret();
    auto r = db.exec("INSERT INTO browser_sessions (digest, user_id, expires_at)"
                     " VALUES ($1, $2, now() + make_interval(secs => $3::bigint)) RETURNING id",
                     {digest_of(session), std::to_string(user_id), std::to_string(max_seconds)});
    return {session, r.int64(0, 0)};
}

std::optional<SessionUser> find_session(PgConnection& db, std::string_view secret, std::int64_t idle_seconds) {
    auto r = db.exec(
        "WITH s AS (SELECT s.id, s.user_id, s.last_seen_at FROM browser_sessions s"
        "  WHERE s.digest = $1 AND s.ended_at IS NULL AND s.expires_at > now()"
        "    AND s.last_seen_at > now() - make_interval(secs => $2::bigint)),"
        " seen AS (UPDATE browser_sessions b SET last_seen_at = now() FROM s"
        "  WHERE b.id = s.id AND s.last_seen_at < now() - interval '1 minute')"
        " SELECT s.id, u.id, u.name, u.is_admin FROM s JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL",
        {digest_of(secret), std::to_string(idle_seconds)});
    if (r.rows() == 0) return std::nullopt;
    return SessionUser{r.int64(0, 0), r.int64(0, 1), r.text(0, 2), r.boolean(0, 3)};
}

void end_session(PgConnection& db, std::int64_t session_id) {
    db.exec("UPDATE browser_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL", {std::to_string(session_id)});
}

}  // namespace asg
