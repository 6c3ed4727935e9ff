// SQL for the dashboard's sign-in: one-time sign-in links and browser sessions. Both are random
// ids shown once (in a URL, in an HttpOnly cookie) and stored only as SHA-256 digests.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/pg_connection.hpp"

namespace asg {

// A random id of 43 base62 characters (256 bits): what a link or a cookie carries.
std::string new_browser_secret();

struct LoginLink {
    std::string secret;   // shown once, in the URL
    std::string expires;  // ISO 8601
};
LoginLink create_login_link(PgConnection& db, std::int64_t user_id, std::int64_t ttl_seconds);

// What a link says before it is used: its user, and "" when usable, else why not.
struct LinkState {
    std::string user;
    std::string problem;  // "", "used", "expired", "unknown"
};
LinkState peek_login_link(PgConnection& db, std::string_view secret);

// Uses the link once and opens a session of `idle_seconds` idle and `max_seconds` absolute
// lifetime: the session's secret, or nullopt when the link is unknown, used or expired (problem
// says which).
std::optional<std::string> redeem_login_link(PgConnection& db, std::string_view secret, std::int64_t max_seconds,
                                             std::string& problem);

// Opens a session for a user (signed in by the operator's single sign-on): its secret and id.
struct OpenedSession {
    std::string secret;
    std::int64_t id = 0;
};
OpenedSession open_browser_session(PgConnection& db, std::int64_t user_id, std::int64_t max_seconds);

// The signed-in user of a live session (not ended, within its absolute lifetime and idle limit);
// its last_seen_at moves on at most once a minute.
struct SessionUser {
    std::int64_t session_id = 0, user_id = 0;
    std::string name;
    bool is_admin = false;
};
std::optional<SessionUser> find_session(PgConnection& db, std::string_view secret, std::int64_t idle_seconds);

void end_session(PgConnection& db, std::int64_t session_id);

}  // namespace asg
