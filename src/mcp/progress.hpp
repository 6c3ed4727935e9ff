// Progress notifications of a tool call (notifications/progress for the request's progressToken):
// what a tool reports, and the sinks that carry it out as the work happens.
#pragma once
#include <jansson.h>

#include <functional>
#include <mutex>
#include <string>

namespace asg {

// Receives each notification (a serialised JSON-RPC message) when it is made. Called from the
// thread that runs the tool.
class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    virtual void send(const std::string& message) = 0;
};

// One step of a tool's work, told in a sentence. Empty when nobody asked for progress.
using ProgressReport = std::function<void(const std::string& message)>;

// The request's progressToken (params._meta.progressToken: a string or an integer), or null.
const json_t* progress_token(const json_t* params);
// A single tools/call that asks for progress.
bool wants_progress(const json_t* message);
// Reports numbered steps (progress 1, 2, ...) for the token to the sink; empty when either is missing.
ProgressReport progress_reporter(ProgressSink* sink, const json_t* params);

// The queue between a pool thread and nginx's event loop: notifications framed as Server-Sent
// Events, taken by the event loop while the tool still runs.
class ProgressQueue : public ProgressSink {
public:
    void send(const std::string& message) override;
    std::string take();  // everything queued since the last take
private:
    std::mutex mutex_;
    std::string events_;
};

// A JSON-RPC message as one Server-Sent Event (JSON text never holds a raw line break, but any
// whitespace break is made a space so that the event stays one data line).
std::string sse_event(const std::string& message);

}  // namespace asg

// The C interface's handle on a queue (src/asgard.h): the glue makes one for a tools/call that
// asks for progress and drains it on a timer while the pool thread works.
struct asg_mcp_progress_s {
    asg::ProgressQueue queue;
};
