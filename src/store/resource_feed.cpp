// SQL of the resource change feed and the sessions' resource subscriptions.
#include "store/resource_feed.hpp"

#include <map>

namespace asg {

namespace {

// A text[] literal of the values (each quoted, quotes and backslashes escaped).
std::string pg_text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

}  // namespace

std::int64_t resource_feed_head(PgConnection& db) {
    return db.exec("SELECT coalesce(max(seq), 0) FROM resource_changes").int64(0, 0);
}

std::vector<ResourceChange> resource_changes_after(PgConnection& db, std::int64_t seq, int limit) {
    PgResult r = db.exec("SELECT seq, uri, created FROM resource_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                         {std::to_string(seq), std::to_string(limit)});
    std::vector<ResourceChange> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.int64(i, 0), r.text(i, 1), r.boolean(i, 2)});
    return out;
}

void subscribe_resource(PgConnection& db, const Digest& session, const std::string& uri, std::int64_t until_ms) {
    db.exec("INSERT INTO resource_subscriptions (session_key, uri, expires_at)"
            " VALUES ($1, $2, to_timestamp($3::bigint / 1000.0))"
            " ON CONFLICT (session_key, uri) DO UPDATE SET expires_at = greatest(resource_subscriptions.expires_at, EXCLUDED.expires_at)",
            {pg_bytea(as_view(session)), uri, std::to_string(until_ms)});
    // Expired subscriptions go as new ones come (a handful at a time, by the expiry index).
    db.exec("DELETE FROM resource_subscriptions WHERE ctid = ANY (ARRAY("
            "SELECT ctid FROM resource_subscriptions WHERE expires_at < now() LIMIT 100))");
}

void unsubscribe_resource(PgConnection& db, const Digest& session, const std::string& uri) {
    db.exec("DELETE FROM resource_subscriptions WHERE session_key = $1 AND uri = $2", {pg_bytea(as_view(session)), uri});
}

std::vector<bool> sessions_ended(PgConnection& db, const std::vector<Digest>& sessions) {
    std::vector<bool> out(sessions.size(), false);
    if (sessions.empty()) return out;
    std::vector<std::string> keys;
    for (const Digest& d : sessions) keys.push_back(pg_bytea(as_view(d)));
    PgResult r = db.exec("SELECT session_key FROM mcp_ended_sessions WHERE session_key = ANY ($1::bytea[])", {pg_text_array(keys)});
    for (int i = 0; i < r.rows(); ++i)
        for (std::size_t at = 0; at < keys.size(); ++at)
            if (keys[at] == r.text(i, 0)) out[at] = true;
    return out;
}

std::vector<std::vector<std::string>> subscribed_uris(PgConnection& db, const std::vector<Digest>& sessions,
                                                      const std::vector<std::string>& uris) {
    std::vector<std::vector<std::string>> out(sessions.size());
    if (sessions.empty() || uris.empty()) return out;
    std::vector<std::string> keys;
    std::map<std::string, std::vector<std::size_t>> index;  // hex key -> positions
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        std::string hex = pg_bytea(as_view(sessions[i]));
        index[hex].push_back(i);
        keys.push_back(hex);
    }
    PgResult r = db.exec("SELECT session_key, uri FROM resource_subscriptions"
                         " WHERE session_key = ANY ($1::bytea[]) AND uri = ANY ($2::text[]) AND expires_at > now()",
                         {pg_text_array(keys), pg_text_array(uris)});
    for (int i = 0; i < r.rows(); ++i) {
        auto found = index.find(r.text(i, 0));
        if (found == index.end()) continue;
        for (std::size_t at : found->second) out[at].push_back(r.text(i, 1));
    }
    return out;
}

}  // namespace asg
