// Progress notifications: the token, the numbered reporter and the event-loop queue.
#include "mcp/progress.hpp"

#include <memory>

#include "util/json_ptr.hpp"

namespace asg {

const json_t* progress_token(const json_t* params) {
    const json_t* meta = json_is_object(params) ? json_object_get(params, "_meta") : nullptr;
    const json_t* token = json_is_object(meta) ? json_object_get(meta, "progressToken") : nullptr;
    return json_is_string(token) || json_is_integer(token) ? token : nullptr;
}

bool wants_progress(const json_t* message) {
    if (!json_is_object(message)) return false;
    const json_t* method = json_object_get(message, "method");
    return json_is_string(method) && std::string_view(json_string_value(method)) == "tools/call" &&
           json_object_get(message, "id") != nullptr && progress_token(json_object_get(message, "params")) != nullptr;
}

ProgressReport progress_reporter(ProgressSink* sink, const json_t* params) {
    const json_t* token = progress_token(params);
    if (sink == nullptr || token == nullptr) return {};
    auto step = std::make_shared<long long>(0);
    auto owned = std::shared_ptr<json_t>(json_deep_copy(token), json_decref);
    return [sink, step, owned](const std::string& message) {
        std::string text = utf8_sanitized(message);
        Json note = json_own(json_pack("{s:s,s:s,s:{s:O,s:I,s:s}}", "jsonrpc", "2.0", "method", "notifications/progress",
                                       "params", "progressToken", owned.get(), "progress", (json_int_t)++*step,
                                       "message", text.c_str()));
        if (!note) return;
        sink->send(json_to_string(note.get()));
    };
}

void ProgressQueue::send(const std::string& message) {
    std::string event = sse_event(message);
    std::lock_guard<std::mutex> lock(mutex_);
    events_ += event;
}

std::string ProgressQueue::take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out;
    out.swap(events_);
    return out;
}

std::string sse_event(const std::string& message) {
    std::string event = "event: message\ndata: ";
    event.reserve(event.size() + message.size() + 2);
    for (char c : message) event += (c == '\n' || c == '\r') ? ' ' : c;
    event += "\n\n";
    return event;
}

}  // namespace asg
