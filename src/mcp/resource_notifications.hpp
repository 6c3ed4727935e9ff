// What a worker's open event streams are told from the resource change feed: the list changed
// (a resource got its first visible version) to every stream, updated to each subscriber of a URI.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mcp/listen_stream.hpp"
#include "store/pg_connection.hpp"
#include "util/crypto.hpp"

namespace asg {

// A URI whose resource can change: a standard, a guidance or a recipe by name (a version never
// changes, nor does a seed file outside an upgrade). It need not exist yet.
bool resource_can_change(std::string_view uri);

struct StreamCursor {
    Digest session;                        // a session's stream (GET, 2025 revisions): its subscriptions
    const ListenFilter* listen = nullptr;  // or a subscriptions/listen stream (2026-07-28): its filter
    std::int64_t after = 0;                // the last change the stream was told of
};

struct StreamNotices {
    std::int64_t seq = 0;  // the stream's new last change
    std::string events;    // Server-Sent Events, "" for none
    bool ended = false;    // the session was ended: the stream ends too
};

// One look at the feed for every stream: at most kFeedBatch changes past the oldest cursor.
std::vector<StreamNotices> resource_notices(PgConnection& db, const std::vector<StreamCursor>& streams);

}  // namespace asg
