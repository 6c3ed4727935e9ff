// The C interface of the resource change feed for the glue's event streams (asg_mcp_feed_poll).
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "asgard.h"
#include "mcp/listen_stream.hpp"
#include "mcp/resource_notifications.hpp"
#include "store/pg_connection.hpp"

namespace {

void note(asg_mcp_feed_t* feed, const std::string& line) {
    std::size_t n = std::min(line.size(), sizeof feed->log_line - 1);
    std::memcpy(feed->log_line, line.data(), n);
    feed->log_line[n] = '\0';
}

}  // namespace

extern "C" void asg_mcp_feed_poll(asg_mcp_feed_t* feed) noexcept {
    feed->log_line[0] = '\0';
    for (std::size_t i = 0; i < feed->count; ++i) {
        feed->seq[i] = feed->after[i];
        feed->events[i] = nullptr;
        feed->events_len[i] = 0;
        feed->ended[i] = 0;
    }
    try {
        std::vector<asg::StreamCursor> streams(feed->count);
        std::vector<asg::ListenFilter> filters(feed->count);
        for (std::size_t i = 0; i < feed->count; ++i) {
            std::memcpy(streams[i].session.data(), feed->sessions[i], 32);
            streams[i].after = feed->after[i];
            if (feed->filters[i] != nullptr) {
                if (!asg::listen_filter_from_text(std::string_view(feed->filters[i], feed->filters_len[i]), filters[i]))
                    throw std::runtime_error("a listen stream's filter does not parse");
                streams[i].listen = &filters[i];
            }
        }
        std::vector<asg::StreamNotices> notices = asg::resource_notices(asg::thread_pg(), streams);
        for (std::size_t i = 0; i < feed->count; ++i) {
            if (!notices[i].events.empty()) {
                char* copy = static_cast<char*>(std::malloc(notices[i].events.size()));
                if (copy == nullptr) continue;  // its cursor stays: told on the next look
                std::memcpy(copy, notices[i].events.data(), notices[i].events.size());
                feed->events[i] = copy;
                feed->events_len[i] = notices[i].events.size();
            }
            feed->seq[i] = notices[i].seq;
            feed->ended[i] = notices[i].ended ? 1 : 0;
        }
    } catch (const std::exception& e) {
        for (std::size_t i = 0; i < feed->count; ++i) {
            std::free(feed->events[i]);
            feed->events[i] = nullptr;
            feed->events_len[i] = 0;
            feed->seq[i] = feed->after[i];
            feed->ended[i] = 0;
        }
        note(feed, std::string("asgard: resource notifications: ") + e.what());
    }
}
