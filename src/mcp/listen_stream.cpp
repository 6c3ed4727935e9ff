// subscriptions/listen: the honoured filter, as text and back, and the stream's framing events.
#include "mcp/listen_stream.hpp"

#include <algorithm>

#include "mcp/modern_protocol.hpp"
#include "mcp/progress.hpp"
#include "mcp/resource_notifications.hpp"

namespace asg {

namespace {

constexpr char kSubscriptionIdKey[] = "io.modelcontextprotocol/subscriptionId";
constexpr std::size_t kMaxSubscriptions = 100;

json_t* filter_json(const ListenFilter& filter) {
    json_t* out = json_object();
    if (filter.resources_list_changed) json_object_set_new(out, "resourcesListChanged", json_true());
    if (!filter.uris.empty()) {
        json_t* uris = json_array();
        for (const std::string& uri : filter.uris) json_array_append_new(uris, json_string(uri.c_str()));
        json_object_set_new(out, "resourceSubscriptions", uris);
    }
    return out;
}

}  // namespace

std::string read_listen_filter(const json_t* id, const json_t* params, ListenFilter& out) {
    const json_t* notifications = json_is_object(params) ? json_object_get(params, "notifications") : nullptr;
    if (!json_is_object(notifications))
        return "Invalid params: subscriptions/listen needs params.notifications, an object naming the notifications wanted "
               "(resourcesListChanged, resourceSubscriptions)";
    out.id = json_own(json_deep_copy(id));
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(notifications), key, value) {
        std::string_view name(key);
        if (name == "resourcesListChanged" || name == "toolsListChanged" || name == "promptsListChanged") {
            if (!json_is_boolean(value)) return "Invalid params: params.notifications." + std::string(name) + " must be a boolean";
            // Asgard's tools and prompts never change while it runs: only the resources' list is told.
            if (name == "resourcesListChanged") out.resources_list_changed = json_is_true(value);
        } else if (name == "resourceSubscriptions") {
            if (!json_is_array(value)) return "Invalid params: params.notifications.resourceSubscriptions must be an array of URIs";
            if (json_array_size(value) > kMaxSubscriptions)
                return "Invalid params: at most " + std::to_string(kMaxSubscriptions) + " resourceSubscriptions a stream";
            std::size_t i;
            json_t* uri;
            json_array_foreach(value, i, uri) {
                if (!json_is_string(uri)) return "Invalid params: params.notifications.resourceSubscriptions holds URIs (strings)";
                std::string text(json_string_value(uri), json_string_length(uri));
                // A URI whose resource never changes (or is not Asgard's) is left out of the honoured filter.
                if (resource_can_change(text) && std::find(out.uris.begin(), out.uris.end(), text) == out.uris.end())
                    out.uris.push_back(text);
            }
        }
    }
    return "";
}

std::string listen_filter_text(const ListenFilter& filter) {
    Json text = json_own(json_pack("{s:O,s:o}", "id", filter.id.get(), "filter", filter_json(filter)));
    return json_to_string(text.get());
}

bool listen_filter_from_text(std::string_view text, ListenFilter& out) {
    json_error_t error;
    Json parsed = json_own(json_loadb(text.data(), text.size(), 0, &error));
    const json_t* filter = parsed ? json_object_get(parsed.get(), "filter") : nullptr;
    if (!json_is_object(filter)) return false;
    out.id = json_own(json_incref(json_object_get(parsed.get(), "id")));
    out.resources_list_changed = json_is_true(json_object_get(filter, "resourcesListChanged"));
    out.uris.clear();
    std::size_t i;
    json_t* uri;
    json_array_foreach(json_object_get(filter, "resourceSubscriptions"), i, uri)
        if (json_is_string(uri)) out.uris.emplace_back(json_string_value(uri));
    return true;
}

void tag_with_subscription(json_t* notification, const ListenFilter& filter) {
    json_t* params = json_object_get(notification, "params");
    if (!json_is_object(params)) {
        params = json_object();
        json_object_set_new(notification, "params", params);
    }
    json_t* meta = json_object_get(params, "_meta");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(params, "_meta", meta);
    }
    json_object_set(meta, kSubscriptionIdKey, filter.id.get());
}

std::string listen_acknowledgement(const ListenFilter& filter) {
    Json note = json_own(json_pack("{s:s,s:s,s:{s:o}}", "jsonrpc", "2.0", "method", "notifications/subscriptions/acknowledged",
                                   "params", "notifications", filter_json(filter)));
    tag_with_subscription(note.get(), filter);
    return sse_event(json_to_string(note.get()));
}

std::string listen_closing(const ListenFilter& filter) {
    Json result = json_own(json_pack("{s:{s:O}}", "_meta", kSubscriptionIdKey, filter.id.get()));
    complete_modern_result(result.get());
    Json response = json_own(json_pack("{s:s,s:O,s:O}", "jsonrpc", "2.0", "id", filter.id.get(), "result", result.get()));
    return sse_event(json_to_string(response.get()));
}

}  // namespace asg
