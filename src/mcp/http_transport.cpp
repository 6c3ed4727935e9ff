// MCP Streamable HTTP: validates the exchange and shapes the HTTP answer around the dispatcher.
// 2025-03-26, 2025-06-18, 2025-11-25: a signed session from initialize, batches in 2025-03-26.
// 2026-07-28 (stateless): each request names its revision in params._meta and in headers
// (MCP-Protocol-Version, Mcp-Method, Mcp-Name) that must match the body; no session.
#include "mcp/http_transport.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "auth/session_token.hpp"
#include "config/runtime_config.hpp"
#include "mcp/answer_limits.hpp"
#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/listen_stream.hpp"
#include "mcp/message_parser.hpp"
#include "mcp/modern_protocol.hpp"
#include "mcp/protocol_versions.hpp"
#include "mcp/session_store.hpp"
#include "store/pg_connection.hpp"
#include "store/resource_feed.hpp"

namespace asg {

namespace {

// How long a subscriptions/listen stream lasts before the server closes it (the client listens again).
constexpr std::int64_t kListenLifeMs = 3600 * 1000;


std::string_view view(asg_str_t s) { return s.data ? std::string_view(s.data, s.len) : std::string_view(); }

void copy_text(char* dst, std::size_t size, std::string_view src) {
    std::size_t n = std::min(size - 1, src.size());
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

void set_text(asg_mcp_response_t& out, int status, const std::string& text) {
    out.http_status = status;
    out.body = static_cast<char*>(std::malloc(text.size()));
    if (out.body == nullptr) throw std::bad_alloc();
    std::memcpy(out.body, text.data(), text.size());
    out.body_len = text.size();
    copy_text(out.content_type, sizeof out.content_type, "application/json");
}

char* malloc_copy(const std::string& text) {
    char* copy = static_cast<char*>(std::malloc(text.size() ? text.size() : 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, text.data(), text.size());
    return copy;
}

// An event stream opens after the feed's head: its first bytes, and what the glue keeps with it.
void open_stream(asg_mcp_response_t& out, std::int64_t head, std::int64_t until_ms, const std::string& first,
                 const std::string& filter, const std::string& close) {
    set_text(out, 200, first);
    copy_text(out.content_type, sizeof out.content_type, "text/event-stream");
    out.opens_stream = 1;
    out.stream_seq = head;
    out.stream_until_ms = until_ms;
    if (!filter.empty()) {
        out.stream_filter = malloc_copy(filter);
        out.stream_filter_len = filter.size();
    }
    if (!close.empty()) {
        out.stream_close = malloc_copy(close);
        out.stream_close_len = close.size();
    }
}

void reply_error(asg_mcp_response_t& out, int status, int code, std::string_view message) {
    set_text(out, status, json_to_string(jsonrpc_error(nullptr, code, message).get()));
}

// A new event stream starts after the change feed's head; false (answered 503) when PostgreSQL
// cannot tell it.
bool read_feed_head(asg_mcp_response_t& out, const json_t* id, const char* what, std::int64_t& head) {
    try {
        head = resource_feed_head(thread_pg());
        return true;
    } catch (const PgError& e) {
        copy_text(out.log_line, sizeof out.log_line, std::string("asgard: ") + what + ": " + e.what());
        set_text(out, 503, json_to_string(jsonrpc_error(id, kServerError,
                                                      "Service Unavailable: Asgard's database cannot be reached; try again shortly").get()));
        return false;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool same_token(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The media type of a Content-Type header, parameters ignored.
bool media_type_is(std::string_view header, std::string_view type) {
    return same_token(trim(header.substr(0, header.find(';'))), type);
}

// Whether an Accept header lists a media type explicitly.
bool accepts(std::string_view accept, std::string_view type) {
    while (!accept.empty()) {
        std::size_t comma = accept.find(',');
        if (media_type_is(accept.substr(0, comma), type)) return true;
        if (comma == std::string_view::npos) break;
        accept.remove_prefix(comma + 1);
    }
    return false;
}

void remember(asg_mcp_response_t& out, const Digest& key, asg_session_state_t state, std::int64_t until) {
    out.cache_state = state;
    std::memcpy(out.cache_key, key.data(), key.size());
    out.cache_until_ms = until;
}

enum class SessionOutcome { ok, answered, needs_io };

SessionOutcome check_session(const asg_mcp_request_t& req, asg_mcp_response_t& out, SessionClaims& claims) {
    std::string_view sid = view(req.session_id);
    if (sid.empty()) {
        reply_error(out, 400, kServerError,
                    "Bad Request: the Mcp-Session-Id header is required; send initialize first");
        return SessionOutcome::answered;
    }
    SessionCheck check = verify_session(sid, req.principal->token_id, req.now_ms, claims);
    if (check != SessionCheck::ok) {
        const char* why = check == SessionCheck::expired       ? "it has expired"
                          : check == SessionCheck::other_token ? "it belongs to another credential"
                                                               : "it is not a session this server issued";
        reply_error(out, 404, kSessionNotFound, std::string("Session not found: ") + why + "; initialize a new session");
        return SessionOutcome::answered;
    }
    if (req.session_state == ASG_SESSION_ENDED) {
        reply_error(out, 404, kSessionNotFound, "Session not found: it was ended; initialize a new session");
        return SessionOutcome::answered;
    }
    if (req.session_state == ASG_SESSION_LIVE) return SessionOutcome::ok;
    if (!req.allow_io) return SessionOutcome::needs_io;
    Digest key = session_cache_key(sid);
    std::int64_t end_of_life = claims.issued_ms + runtime_config()->session_ttl_ms;
    SessionLookup found;
    try {
        found = session_lookup(key);
    } catch (const PgError& e) {
        copy_text(out.log_line, sizeof out.log_line, std::string("asgard: session check: ") + e.what());
        reply_error(out, 503, kServerError, "Service Unavailable: the session store (PostgreSQL) cannot be reached");
        return SessionOutcome::answered;
    }
    if (!found.note.empty()) copy_text(out.log_line, sizeof out.log_line, found.note);
    if (found.ended) {
        remember(out, key, ASG_SESSION_ENDED, end_of_life);
        reply_error(out, 404, kSessionNotFound, "Session not found: it was ended; initialize a new session");
        return SessionOutcome::answered;
    }
    remember(out, key, ASG_SESSION_LIVE, std::min(end_of_life, req.now_ms + kLiveSessionCacheMs));
    return SessionOutcome::ok;
}

void handle_delete(const asg_mcp_request_t& req, asg_mcp_response_t& out) {
    SessionClaims claims;
    asg_mcp_request_t known = req;
    known.session_state = req.session_state == ASG_SESSION_ENDED ? ASG_SESSION_ENDED : ASG_SESSION_LIVE;
    if (check_session(known, out, claims) != SessionOutcome::ok) return;
    if (!req.allow_io) {
        out.needs_io = 1;
        return;
    }
    Digest key = session_cache_key(view(req.session_id));
    std::int64_t end_of_life = claims.issued_ms + runtime_config()->session_ttl_ms;
    SessionEnding ending;
    try {
        ending = session_end(key, claims.issued_ms);
    } catch (const PgError& e) {
        copy_text(out.log_line, sizeof out.log_line, std::string("asgard: session end: ") + e.what());
        reply_error(out, 503, kServerError, "Service Unavailable: the session store (PostgreSQL) cannot be reached");
        return;
    }
    if (!ending.note.empty()) copy_text(out.log_line, sizeof out.log_line, ending.note);
    remember(out, key, ASG_SESSION_ENDED, end_of_life);
    if (!ending.ended_now) {
        reply_error(out, 404, kSessionNotFound, "Session not found: it was already ended");
        return;
    }
    out.http_status = 204;
}

int http_status_for(const json_t* response) {
    json_t* code = json_object_get(json_object_get(response, "error"), "code");
    if (json_is_integer(code)) {
        json_int_t c = json_integer_value(code);
        if (c == kParseError || c == kInvalidRequest) return 400;
    }
    return 200;
}

// HTTP's status for a modern answer: an unknown method 404 (so a client tells it from a server
// without the endpoint), a malformed request 400, else 200.
int modern_status_for(const json_t* response) {
    json_t* code = json_object_get(json_object_get(response, "error"), "code");
    if (json_is_integer(code) && json_integer_value(code) == kMethodNotFound) return 404;
    return http_status_for(response);
}

// Runs one message and writes its answer: 202 when there is none to give, 503 when a store could
// not answer, else the revision's status. False when it needs I/O or gave no answer.
bool answer_one(DispatchContext& ctx, const json_t* message, const AnswerLimits& limits, asg_mcp_response_t& out) {
    Reply response = dispatch_message(ctx, message);
    if (ctx.needs_io) {
        out.needs_io = 1;
        out.wants_progress = wants_progress(message) ? 1 : 0;
        return false;
    }
    if (!ctx.log_line.empty()) copy_text(out.log_line, sizeof out.log_line, ctx.log_line);
    if (!response) {
        out.http_status = 202;
        return false;
    }
    int status = ctx.unavailable ? 503 : ctx.modern ? modern_status_for(response.message.get()) : http_status_for(response.message.get());
    set_text(out, status, bounded_answer(response, limits));
    return true;
}

// The header checks of 2026-07-28: "" when the headers match the body, else why not.
std::string modern_header_problem(const asg_mcp_request_t& req, const json_t* message, std::string_view meta_version) {
    std::string_view header_version = view(req.protocol_version);
    if (header_version.empty()) return "the MCP-Protocol-Version header is required (" + std::string(meta_version) + ", as in _meta)";
    if (header_version != meta_version)
        return "MCP-Protocol-Version header value '" + std::string(header_version) + "' does not match _meta value '" + std::string(meta_version) + "'";
    std::string_view method = json_member_string(message, "method");
    std::string_view mcp_method = view(req.mcp_method);
    if (mcp_method.empty()) return "the Mcp-Method header is required (" + std::string(method) + ")";
    if (mcp_method != method) return "Mcp-Method header value '" + std::string(mcp_method) + "' does not match body value '" + std::string(method) + "'";
    const char* name_field = method == "tools/call" || method == "prompts/get" ? "name" : method == "resources/read" ? "uri" : nullptr;
    if (name_field == nullptr) return "";
    const json_t* params = json_object_get(message, "params");
    const json_t* body_name = json_is_object(params) ? json_object_get(params, name_field) : nullptr;
    std::string_view header_name = view(req.mcp_name);
    if (header_name.empty()) return std::string("the Mcp-Name header is required for ") + std::string(method);
    std::string decoded;
    if (!decode_header_value(header_name, decoded)) return "the Mcp-Name header's =?base64?...?= value is not valid Base64";
    if (!json_is_string(body_name) || decoded != json_string_value(body_name))
        return "Mcp-Name header value '" + decoded + "' does not match body value '" +
               (json_is_string(body_name) ? std::string(json_string_value(body_name)) : std::string("(none)")) + "'";
    return "";
}

// subscriptions/listen: an event stream for the notifications the request's filter names, from the
// feed's head on; the glue keeps it (an hour at most) and closes it with the listen result.
void handle_listen(const asg_mcp_request_t& req, asg_mcp_response_t& out, const json_t* id, const json_t* message) {
    ListenFilter filter;
    std::string problem = read_listen_filter(id, json_object_get(message, "params"), filter);
    if (!problem.empty()) return set_text(out, 400, json_to_string(jsonrpc_error(id, kInvalidParams, problem).get()));
    if (!req.allow_io) {
        out.needs_io = 1;
        return;
    }
    std::int64_t head = 0;
    if (!read_feed_head(out, id, "subscriptions/listen", head)) return;
    open_stream(out, head, req.now_ms + kListenLifeMs, listen_acknowledgement(filter), listen_filter_text(filter), listen_closing(filter));
}

// A 2026-07-28 request: validated, dispatched with no session, shaped as that revision says.
void handle_modern_post(const asg_mcp_request_t& req, asg_mcp_response_t& out, const json_t* message, const MetaVersion& meta) {
    if (json_is_array(message))
        return reply_error(out, 400, kInvalidRequest, "Invalid Request: JSON-RPC batches are not part of protocol version 2026-07-28");
    const json_t* raw_id = json_object_get(message, "id");
    const json_t* id = jsonrpc_id_valid(raw_id) ? raw_id : nullptr;
    if (raw_id == nullptr && json_object_get(message, "method")) {
        out.http_status = 202;  // a notification: accepted, nothing to answer
        return;
    }
    std::string problem = modern_header_problem(req, message, meta.version);
    if (!problem.empty()) return set_text(out, 400, json_to_string(header_mismatch_error(id, problem).get()));
    if (Json refusal = modern_meta_refusal(id, message)) return set_text(out, 400, json_to_string(refusal.get()));
    if (json_member_string(message, "method") == "subscriptions/listen") return handle_listen(req, out, id, message);
    AnswerLimits limits;
    if (req.max_response_size > 0) limits.max_answer_bytes = req.max_response_size;
    DispatchContext ctx(*req.principal);
    ctx.protocol_version = meta.version;
    ctx.modern = true;
    ctx.issues_sessions = false;
    ctx.allow_io = req.allow_io != 0;
    ctx.now = req.now_ms;
    ctx.event_streams = true;
    if (req.progress != nullptr) ctx.progress = &req.progress->queue;
    answer_one(ctx, message, limits, out);
}

void handle_post(const asg_mcp_request_t& req, asg_mcp_response_t& out) {
    if (!media_type_is(view(req.content_type), "application/json"))
        return reply_error(out, 415, kServerError, "Unsupported Media Type: Content-Type must be application/json");
    std::string_view accept = view(req.accept);
    if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream"))
        return reply_error(out, 406, kServerError,
                           "Not Acceptable: the Accept header must list both application/json and text/event-stream");
    std::string_view header_version = view(req.protocol_version);
    std::string_view body = view(req.body);
    if (body.empty()) return reply_error(out, 400, kParseError, "Parse error: the request body is empty");
    ParsedBody parsed = parse_jsonrpc_body(body);
    if (!parsed.message) return set_text(out, 400, json_to_string(parsed.error.get()));
    Json message = std::move(parsed.message);
    // Every error answers the request's own id (a batch has none to answer).
    const json_t* raw_id = json_is_object(message.get()) ? json_object_get(message.get(), "id") : nullptr;
    const json_t* id = jsonrpc_id_valid(raw_id) ? raw_id : nullptr;
    if (!header_version.empty() && !protocol_version_supported(header_version) && !modern_version(header_version))
        return set_text(out, 400, json_to_string(unsupported_version_error(id, header_version).get()));
    // A request whose _meta names a revision, or a 2026-07-28 header, is a modern request.
    MetaVersion meta = meta_protocol_version(message.get());
    if (meta.present || modern_version(header_version)) {
        // The revision lives in the body; a request without it is malformed (-32602, as a missing
        // clientCapabilities is), whatever the header says.
        if (!meta.present && raw_id != nullptr && !json_is_array(message.get()))
            return set_text(out, 400, json_to_string(jsonrpc_error(id, kInvalidParams,
                "Invalid params: params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required on every " +
                    std::string(header_version) + " request (the MCP-Protocol-Version header names it; 2026-07-28 requests carry it in _meta)").get()));
        return handle_modern_post(req, out, message.get(), meta);
    }
    bool batch = json_is_array(message.get());
    if (batch && json_array_size(message.get()) == 0)
        return reply_error(out, 400, kInvalidRequest, "Invalid Request: an empty JSON-RPC batch");
    std::string_view method = json_member_string(message.get(), "method");
    bool initialize = !batch && method == "initialize";

    SessionClaims claims;
    Digest session_key{};
    std::int64_t session_until_ms = 0;
    if (!initialize) {
        SessionOutcome outcome = check_session(req, out, claims);
        if (outcome == SessionOutcome::answered) return;
        if (outcome == SessionOutcome::needs_io) {
            out.needs_io = 1;
            out.wants_progress = wants_progress(message.get()) ? 1 : 0;
            return;
        }
    }
    // A session's requests run at the version it negotiated, whichever supported version the header
    // names (as the reference SDK server does); initialize runs at the one it asks for.
    if (!initialize) {
        session_key = session_cache_key(view(req.session_id));
        session_until_ms = claims.issued_ms + runtime_config()->session_ttl_ms;
    }
    std::string version = !initialize               ? claims.protocol_version
                          : !header_version.empty() ? std::string(header_version)
                                                    : std::string(kDefaultProtocolVersion);
    AnswerLimits limits;
    if (req.max_batch > 0) limits.max_batch = req.max_batch;
    if (req.max_response_size > 0) limits.max_answer_bytes = req.max_response_size;
    DispatchContext ctx(*req.principal);
    ctx.protocol_version = version;
    ctx.allow_io = req.allow_io != 0;
    ctx.now = req.now_ms;
    ctx.event_streams = true;
    if (req.progress != nullptr) ctx.progress = &req.progress->queue;
    ctx.session_key = session_key;
    ctx.session_until_ms = session_until_ms;
    if (batch) {
        if (!protocol_allows_batches(version))
            return reply_error(out, 400, kInvalidRequest,
                               "Invalid Request: JSON-RPC batches are not supported in protocol version " + version);
        if (Json refusal = batch_over_limit(json_array_size(message.get()), limits))
            return set_text(out, 400, json_to_string(refusal.get()));
        ctx.in_batch = true;
        std::string answer = run_batch(ctx, message.get(), limits);
        if (ctx.needs_io) {
            out.needs_io = 1;
            return;
        }
        if (!ctx.log_line.empty()) copy_text(out.log_line, sizeof out.log_line, ctx.log_line);
        if (answer.empty()) {
            out.http_status = 202;
            return;
        }
        return set_text(out, 200, answer);
    }
    if (answer_one(ctx, message.get(), limits, out) && !ctx.new_session_id.empty()) {
        copy_text(out.session_id, sizeof out.session_id, ctx.new_session_id);
        remember(out, session_cache_key(ctx.new_session_id), ASG_SESSION_LIVE, req.now_ms + kLiveSessionCacheMs);
    }
}

}  // namespace

namespace {

// GET opens a session's event stream (2025 revisions): resource notifications, sent by the glue
// from the change feed after the head read here.
void handle_get(const asg_mcp_request_t& req, asg_mcp_response_t& out) {
    std::string_view header_version = view(req.protocol_version);
    if (modern_version(header_version)) {
        copy_text(out.allow, sizeof out.allow, "POST");
        return reply_error(out, 405, kServerError,
                           "Method Not Allowed: 2026-07-28 has no GET stream (every request is a POST; subscriptions/listen is not offered)");
    }
    if (!header_version.empty() && !protocol_version_supported(header_version))
        return set_text(out, 400, json_to_string(unsupported_version_error(nullptr, header_version).get()));
    if (!accepts(view(req.accept), "text/event-stream"))
        return reply_error(out, 406, kServerError,
                           "Not Acceptable: GET /mcp opens an event stream; the Accept header must list text/event-stream");
    SessionClaims claims;
    SessionOutcome outcome = check_session(req, out, claims);
    if (outcome == SessionOutcome::answered) return;
    if (outcome == SessionOutcome::needs_io || !req.allow_io) {
        out.needs_io = 1;
        return;
    }
    std::int64_t head = 0;
    if (!read_feed_head(out, nullptr, "GET /mcp", head)) return;
    Digest key = session_cache_key(view(req.session_id));
    open_stream(out, head, claims.issued_ms + runtime_config()->session_ttl_ms, ": asgard event stream\n\n", "", "");
    std::memcpy(out.stream_session, key.data(), key.size());
}

}  // namespace

void handle_mcp_http(const asg_mcp_request_t& req, asg_mcp_response_t& out) {
    std::string_view method = view(req.http_method);
    if (method == "POST") return handle_post(req, out);
    if (method == "DELETE") return handle_delete(req, out);
    if (method == "GET") return handle_get(req, out);
    copy_text(out.allow, sizeof out.allow, "GET, POST, DELETE");
    reply_error(out, 405, kServerError, "Method Not Allowed: /mcp takes POST, GET (a session's event stream) and DELETE (to end a session)");
}

}  // namespace asg
