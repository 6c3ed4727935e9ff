// subscriptions/listen (2026-07-28): the filter a stream honours, its acknowledgement (the first
// event), the tag every notification on it carries, and the result that closes it gracefully.
#pragma once
#include <jansson.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/json_ptr.hpp"

namespace asg {

struct ListenFilter {
    Json id;                        // the listen request's id: the subscription's id
    bool resources_list_changed = false;
    std::vector<std::string> uris;  // resourceSubscriptions that can change
};

// Reads params.notifications into the honoured filter (what Asgard cannot send is left out, as
// the revision says); "" or why the request is refused (-32602).
std::string read_listen_filter(const json_t* id, const json_t* params, ListenFilter& out);
// The filter as text the glue keeps with the stream and hands back to each look at the feed.
std::string listen_filter_text(const ListenFilter& filter);
bool listen_filter_from_text(std::string_view text, ListenFilter& out);

// The stream's first event: notifications/subscriptions/acknowledged with the honoured filter.
std::string listen_acknowledgement(const ListenFilter& filter);
// Stamps a notification with the subscription's id (params._meta).
void tag_with_subscription(json_t* notification, const ListenFilter& filter);
// The listen request's result, sent when the server ends the stream gracefully.
std::string listen_closing(const ListenFilter& filter);

}  // namespace asg
