// The change feed of MCP resources (resource_changes, written by triggers) and the subscriptions
// of MCP sessions (resource_subscriptions), both in PostgreSQL so that any node can serve them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"
#include "util/crypto.hpp"

namespace asg {

struct ResourceChange {
    std::int64_t seq = 0;
    std::string uri;
    bool created = false;  // the resource's first visible version: the list changed
};

// The feed's last seq (0 while it is empty): a new event stream starts after it.
std::int64_t resource_feed_head(PgConnection& db);
// Up to limit changes after seq, oldest first.
std::vector<ResourceChange> resource_changes_after(PgConnection& db, std::int64_t seq, int limit);

// A session's subscription to a URI until its end of life (again: the later end wins).
void subscribe_resource(PgConnection& db, const Digest& session, const std::string& uri, std::int64_t until_ms);
void unsubscribe_resource(PgConnection& db, const Digest& session, const std::string& uri);
// For each session, the URIs among uris it is subscribed to (unexpired).
std::vector<std::vector<std::string>> subscribed_uris(PgConnection& db, const std::vector<Digest>& sessions,
                                                      const std::vector<std::string>& uris);

// Which of these sessions were ended (DELETE /mcp on any node).
std::vector<bool> sessions_ended(PgConnection& db, const std::vector<Digest>& sessions);

}  // namespace asg
