// Resource notifications for the event streams: the feed's changes past each stream's cursor,
// joined with its session's subscriptions, as notifications/resources/* events.
#include "mcp/resource_notifications.hpp"

#include <algorithm>

#include "mcp/progress.hpp"
#include "store/resource_feed.hpp"
#include "util/json_ptr.hpp"

namespace asg {

namespace {

constexpr int kFeedBatch = 500;

std::string notification(const char* method, const std::string* uri) {
    Json note = uri ? json_own(json_pack("{s:s,s:s,s:{s:s}}", "jsonrpc", "2.0", "method", method, "params", "uri", uri->c_str()))
                    : json_own(json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method));
    return sse_event(json_to_string(note.get()));
}

}  // namespace

std::vector<StreamNotices> resource_notices(PgConnection& db, const std::vector<StreamCursor>& streams) {
    std::vector<StreamNotices> out(streams.size());
    if (streams.empty()) return out;
    std::int64_t oldest = streams[0].after;
    for (std::size_t i = 0; i < streams.size(); ++i) {
        out[i].seq = streams[i].after;
        oldest = std::min(oldest, streams[i].after);
    }
    std::vector<Digest> sessions;
    for (const StreamCursor& s : streams) sessions.push_back(s.session);
    std::vector<bool> ended = sessions_ended(db, sessions);
    for (std::size_t i = 0; i < streams.size(); ++i) out[i].ended = ended[i];
    std::vector<ResourceChange> changes = resource_changes_after(db, oldest, kFeedBatch);
    if (changes.empty()) return out;

    std::vector<std::string> uris;
    for (const ResourceChange& c : changes)
        if (std::find(uris.begin(), uris.end(), c.uri) == uris.end()) uris.push_back(c.uri);
    std::vector<std::vector<std::string>> subscribed = subscribed_uris(db, sessions, uris);

    for (std::size_t i = 0; i < streams.size(); ++i) {
        bool list_changed = false;
        std::vector<std::string> updated;
        for (const ResourceChange& c : changes) {
            if (c.seq <= streams[i].after) continue;
            list_changed = list_changed || c.created;
            bool wanted = std::find(subscribed[i].begin(), subscribed[i].end(), c.uri) != subscribed[i].end();
            if (wanted && std::find(updated.begin(), updated.end(), c.uri) == updated.end()) updated.push_back(c.uri);
        }
        out[i].seq = std::max(streams[i].after, changes.back().seq);
        if (list_changed) out[i].events += notification("notifications/resources/list_changed", nullptr);
        for (const std::string& uri : updated) out[i].events += notification("notifications/resources/updated", &uri);
    }
    return out;
}

}  // namespace asg
