// The stdio transport: one message (or 2025-03-26 batch) per line; bad lines get -32700/-32600
// (with the message's id when it is known) and the server keeps going. A message whose _meta names
// a revision is a 2026-07-28 request, answered on its own: it neither needs nor changes the
// process's initialize (a dual-era client probes with server/discover first).
#include "mcp/stdio_transport.hpp"

#include <poll.h>

#include <iostream>
#include <istream>
#include <ostream>

#include "config/runtime_config.hpp"
#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/message_parser.hpp"
#include "mcp/modern_protocol.hpp"
#include "mcp/protocol_versions.hpp"

namespace asg {

static void send(std::ostream& out, const std::string& line) {
    out << line << '\n';
    out.flush();
}

namespace {

// Progress notifications go out as soon as they are made, before the call's answer.
class StdioProgress : public ProgressSink {
public:
    explicit StdioProgress(std::ostream& out) : out_(out) {}
    void send(const std::string& message) override { asg::send(out_, message); }
private:
    std::ostream& out_;
};

}  // namespace

void serve_stdio(std::istream& in, std::ostream& out, const asg_principal_t& principal,
                 const StdioOptions& options) {
    StdioProgress progress(out);
    std::string version = kDefaultProtocolVersion;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        ParsedBody parsed = parse_jsonrpc_body(line);
        if (!parsed.message) {
            send(out, json_to_string(parsed.error.get()));
            continue;
        }
        Json message = std::move(parsed.message);
        DispatchContext ctx(principal);
        ctx.protocol_version = version;
        ctx.allow_io = true;
        ctx.now = now_ms();
        ctx.issues_sessions = false;
        ctx.default_project = options.default_project;
        ctx.progress = &progress;
        if (json_is_array(message.get())) {
            if (json_array_size(message.get()) == 0 || !protocol_allows_batches(version)) {
                send(out, json_to_string(jsonrpc_error(nullptr, kInvalidRequest,
                    json_array_size(message.get()) == 0 ? "Invalid Request: an empty JSON-RPC batch"
                        : "Invalid Request: JSON-RPC batches are not supported in protocol version " + version).get()));
                continue;
            }
            if (Json refusal = batch_over_limit(json_array_size(message.get()), options.limits)) {
                send(out, json_to_string(refusal.get()));
                continue;
            }
            ctx.in_batch = true;
            std::string answer = run_batch(ctx, message.get(), options.limits);
            if (!answer.empty()) send(out, answer);
        } else if (MetaVersion meta = meta_protocol_version(message.get()); meta.present) {
            const json_t* id = json_object_get(message.get(), "id");
            if (id == nullptr) continue;  // a notification
            if (Json refusal = modern_meta_refusal(jsonrpc_id_valid(id) ? id : nullptr, message.get())) {
                send(out, json_to_string(refusal.get()));
                continue;
            }
            ctx.modern = true;
            ctx.protocol_version = meta.version;
            Reply reply = dispatch_message(ctx, message.get());
            if (reply) send(out, bounded_answer(reply, options.limits));
        } else {
            Reply reply = dispatch_message(ctx, message.get());
            if (!ctx.negotiated_version.empty()) version = ctx.negotiated_version;
            if (reply) send(out, bounded_answer(reply, options.limits));
        }
        if (!ctx.log_line.empty()) std::cerr << ctx.log_line << '\n';
    }
}

void refuse_stdio(std::istream& in, std::ostream& out, int in_fd, const std::string& message, int wait_ms) {
    std::string line;
    while (true) {
        pollfd ready{in_fd, POLLIN, 0};
        if (in.rdbuf()->in_avail() <= 0 && poll(&ready, 1, wait_ms) <= 0) return;
        if (!std::getline(in, line)) return;
        if (line.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    json_error_t error;
    Json first = json_own(json_loadb(line.data(), line.size(), JSON_DECODE_ANY, &error));
    const json_t* id = json_is_object(first.get()) ? json_object_get(first.get(), "id") : nullptr;
    send(out, json_to_string(jsonrpc_error(id, kServerError, message).get()));
}

}  // namespace asg
