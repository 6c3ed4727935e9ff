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

std::string notification(const char* method, const std::string* uri, const ListenFilter* listen) {
    Json note = uri ? json_own(json_pack("{s:s,s:s,s:{s:s}}", "jsonrpc", "2.0", "method", method, "params", "uri", uri->c_str()))
                    : json_own(json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", method));
    if (listen) tag_with_subscription(note.get(), *listen);
    return sse_event(json_to_string(note.get()));
}

}  // namespace

bool resource_can_change(std::string_view uri) {
    for (std::string_view prefix : {"asgard://standards/", "asgard://guidance/", "asgard://recipes/"}) {
        if (uri.rfind(prefix, 0) != 0) continue;
        std::string_view name = uri.substr(prefix.size());
        if (name.empty() || name.size() > 64) return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
        for (char c : name)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
        return true;
    }
    return false;
}

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
    for (std::size_t i = 0; i < streams.size(); ++i) out[i].ended = streams[i].listen == nullptr && ended[i];
    std::vector<ResourceChange> changes = resource_changes_after(db, oldest, kFeedBatch);
    if (changes.empty()) return out;

    std::vector<std::string> uris;
    for (const ResourceChange& c : changes)
        if (std::find(uris.begin(), uris.end(), c.uri) == uris.end()) uris.push_back(c.uri);
    std::vector<std::vector<std::string>> subscribed = subscribed_uris(db, sessions, uris);

    for (std::size_t i = 0; i < streams.size(); ++i) {
        const ListenFilter* listen = streams[i].listen;
        // A listen stream's subscriptions are its filter's; a session's are in PostgreSQL.
        const std::vector<std::string>& wanted_uris = listen ? listen->uris : subscribed[i];
        bool list_changed = false;
        std::vector<std::string> updated;
        for (const ResourceChange& c : changes) {
            if (c.seq <= streams[i].after) continue;
            list_changed = list_changed || c.created;
            bool wanted = std::find(wanted_uris.begin(), wanted_uris.end(), c.uri) != wanted_uris.end();
            if (wanted && std::find(updated.begin(), updated.end(), c.uri) == updated.end()) updated.push_back(c.uri);
        }
        out[i].seq = std::max(streams[i].after, changes.back().seq);
        if (list_changed && (listen == nullptr || listen->resources_list_changed))
            out[i].events += notification("notifications/resources/list_changed", nullptr, listen);
        for (const std::string& uri : updated) out[i].events += notification("notifications/resources/updated", &uri, listen);
    }
    return out;
}

}  // namespace asg
