// The gateway's part of the C boundary (asgard.h): noexcept wrappers over gateway/.
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <simdjson.h>

#include "asgard.h"
#include "config/runtime_config.hpp"
#include "gateway/chat_body.hpp"
#include "gateway/gateway_call.hpp"
#include "gateway/guardrails.hpp"
#include "gateway/gateway_errors.hpp"
#include "gateway/redis_outbox.hpp"
#include "gateway/reservation_batch.hpp"
#include "gateway/spend_log.hpp"
#include "util/crypto.hpp"
#include "util/unique_id.hpp"

using namespace asg;

struct asg_gateway_call_s {
    GatewayCall call;
    bool freed = false;  // the glue is done with it; a Redis reply is still to come
    std::string wire;    // its commands as exported
    std::string out;     // a streamed answer's bytes as the client gets them (asg_gateway_response_stream)
};

struct asg_gateway_job_s {
    SpendRead read;
};

static void copy_to(char* dst, std::size_t size, const std::string& src) {
    std::size_t n = std::min(size - 1, src.size());
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

// An empty verdict; the header arrays are read only as far as nheaders says.
static void clear_verdict(asg_gateway_verdict_t* out) {
    out->status = 0;
    out->body = nullptr;
    out->body_len = 0;
    out->retry_after[0] = '\0';
    out->nheaders = 0;
    out->wait = ASG_GATEWAY_DECIDED;
    out->log_line[0] = '\0';
}

static void fill(asg_gateway_verdict_t* out, const Verdict& v) {
    out->wait = v.wait == Verdict::Wait::redis ? ASG_GATEWAY_WAIT_REDIS
              : v.wait == Verdict::Wait::pool  ? ASG_GATEWAY_WAIT_POOL
                                               : ASG_GATEWAY_DECIDED;
    out->status = v.status;
    if (v.status != 0) {
        out->body = static_cast<char*>(std::malloc(v.body.size()));
        if (out->body) {
            std::memcpy(out->body, v.body.data(), v.body.size());
            out->body_len = v.body.size();
        }
    }
    copy_to(out->retry_after, sizeof out->retry_after, v.retry_after);
    copy_to(out->log_line, sizeof out->log_line, v.log_line);
    out->nheaders = 0;
    auto header = [out](std::string_view name, std::int64_t value, bool seconds) {
        char* n = out->header_names[out->nheaders];
        n[name.copy(n, sizeof out->header_names[0] - 1)] = '\0';
        char* text = out->header_values[out->nheaders];
        char* end = std::to_chars(text, text + sizeof out->header_values[0] - 2, value).ptr;
        if (seconds) *end++ = 's';
        *end = '\0';
        out->nheaders++;
    };
    if (v.rate.set) {
        header("x-ratelimit-limit-requests", v.rate.limit_requests, false);
        header("x-ratelimit-remaining-requests", v.rate.remaining_requests, false);
        header("x-ratelimit-limit-tokens", v.rate.limit_tokens, false);
        header("x-ratelimit-remaining-tokens", v.rate.remaining_tokens, false);
        header("x-ratelimit-reset-requests", v.rate.reset_seconds, true);
        header("x-ratelimit-reset-tokens", v.rate.reset_seconds, true);
    }
    for (const auto& [name, value] : v.headers) {
        if (out->nheaders == static_cast<int>(sizeof out->header_names / sizeof out->header_names[0])) break;
        copy_to(out->header_names[out->nheaders], sizeof out->header_names[0], name);
        copy_to(out->header_values[out->nheaders], sizeof out->header_values[0], value);
        out->nheaders++;
    }
}

// The commands in Redis's protocol, one after the other in `wire` (its capacity is reused).
static void export_commands(const std::vector<std::vector<std::string>>& commands, asg_redis_commands_t* out,
                            std::string& wire) {
    out->count = 0;
    wire.clear();
    std::size_t starts[ASG_REDIS_MAX_COMMANDS + 1];
    char digits[24];
    auto number = [&](char kind, std::size_t n) {
        wire.push_back(kind);
        wire.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr - digits);
        wire.append("\r\n", 2);
    };
    for (const auto& command : commands) {
        if (out->count == ASG_REDIS_MAX_COMMANDS) break;
        starts[out->count++] = wire.size();
        number('*', command.size());
        for (const auto& arg : command) {
            number('$', arg.size());
            wire.append(arg);
            wire.append("\r\n", 2);
        }
    }
    starts[out->count] = wire.size();
    for (int i = 0; i < out->count; ++i) {
        out->wire[i] = wire.data() + starts[i];
        out->wirelen[i] = starts[i + 1] - starts[i];
    }
}

static void internal_error(asg_gateway_verdict_t* out, const char* what) {
    std::string body = "{\"error\":{\"message\":\"internal error in the gateway\",\"type\":\"server_error\",\"code\":\"internal\"}}";
    copy_to(out->log_line, sizeof out->log_line, std::string("asgard: gateway: internal error: ") + what);
    out->status = 500;
    out->body = static_cast<char*>(std::malloc(body.size()));
    if (out->body) {
        std::memcpy(out->body, body.data(), body.size());
        out->body_len = body.size();
    }
}

extern "C" void asg_request_id(char out[33]) noexcept {
    try {
        unique_id_hex(out);
    } catch (...) {
        copy_to(out, 33, "00000000000000000000000000000000");
    }
}

static_assert(ASG_BODY_PADDING >= simdjson::SIMDJSON_PADDING, "the glue's body padding serves simdjson");

extern "C" asg_gateway_call_t* asg_gateway_begin(const asg_principal_t* p, const asg_gateway_request_t* req,
                                                 asg_gateway_verdict_t* out) noexcept {
    clear_verdict(out);
    asg_gateway_call_t* handle = nullptr;
    try {
        handle = new asg_gateway_call_s{GatewayCall(*p, req->request_id ? req->request_id : ""), false, std::string(), std::string()};
        Verdict v;
        std::string_view body(req->body.data ? req->body.data : "", req->body.data ? req->body.len : 0);
        std::string_view data_class(req->data_class.data ? req->data_class.data : "", req->data_class.data ? req->data_class.len : 0);
        Route route = req->route >= ASG_ROUTE_CHAT && req->route <= ASG_ROUTE_COUNT_TOKENS ? static_cast<Route>(req->route) : Route::chat;
        handle->call.decide(body, req->body.data && req->padded, data_class, route, req->now_ms, v);
        if (v.status == 0) handle->call.reserve(req->now_ms, v);
        fill(out, v);
        return handle;
    } catch (const std::exception& e) {
        internal_error(out, e.what());
        return handle;
    } catch (...) {
        internal_error(out, "unknown");
        return handle;
    }
}

extern "C" void asg_gateway_commands(asg_gateway_call_t* call, asg_redis_commands_t* out) noexcept {
    try {
        export_commands(call->call.commands(), out, call->wire);
    } catch (...) {
        out->count = 0;
    }
}

// The glue's handle on a batch is the batch itself.
static ReservationBatch* batch_of(asg_gateway_batch_t* b) { return reinterpret_cast<ReservationBatch*>(b); }

extern "C" int asg_gateway_batch_join(asg_gateway_call_t* call, void* waiter) noexcept {
    try {
        const CounterReservation* reservation = call->call.batchable();
        if (reservation == nullptr) return 0;
        open_batch().add(*reservation, waiter);
        return 1;
    } catch (...) {
        return 0;  // sent on its own
    }
}

extern "C" asg_gateway_batch_t* asg_gateway_batch_take(void) noexcept {
    return reinterpret_cast<asg_gateway_batch_t*>(take_batch());
}

extern "C" size_t asg_gateway_batch_commands(asg_gateway_batch_t* b) noexcept { return batch_of(b)->command_count(); }

extern "C" asg_str_t asg_gateway_batch_command(asg_gateway_batch_t* b, size_t i) noexcept {
    std::string_view command = batch_of(b)->command(i);
    return {command.data(), command.size()};
}

extern "C" size_t asg_gateway_batch_size(asg_gateway_batch_t* b) noexcept { return batch_of(b)->size(); }

extern "C" void* asg_gateway_batch_waiter(asg_gateway_batch_t* b, size_t i) noexcept { return batch_of(b)->waiter(i); }

extern "C" const void* asg_gateway_batch_reply(asg_gateway_batch_t* b, size_t i, const void* exec_reply) noexcept {
    return batch_of(b)->part(i, static_cast<const redisReply*>(exec_reply));
}

extern "C" void asg_gateway_batch_free(asg_gateway_batch_t* b) noexcept { release_batch(batch_of(b)); }

extern "C" void asg_gateway_redis_reply(asg_gateway_call_t* call, const void* reply, int64_t now,
                                        asg_gateway_verdict_t* out) noexcept {
    clear_verdict(out);
    try {
        Verdict v;
        call->call.on_reply(static_cast<const redisReply*>(reply), now, v);
        if (call->freed) {
            delete call;  // the late reply of a call the glue is done with
            return;
        }
        fill(out, v);
    } catch (const std::exception& e) {
        internal_error(out, e.what());
    } catch (...) {
        internal_error(out, "unknown");
    }
}

extern "C" void asg_gateway_redis_timeout(asg_gateway_call_t* call, asg_gateway_verdict_t* out) noexcept {
    clear_verdict(out);
    try {
        Verdict v;
        call->call.on_timeout(v);
        fill(out, v);
    } catch (...) {
        internal_error(out, "unknown");
    }
}

extern "C" asg_gateway_job_t* asg_gateway_pool_job(asg_gateway_call_t* call) noexcept {
    try {
        return new asg_gateway_job_s{call->call.spend_read()};
    } catch (...) {
        return nullptr;
    }
}

extern "C" void asg_gateway_pool_run(asg_gateway_job_t* job) noexcept { job->read.run(); }

extern "C" void asg_gateway_pool_done(asg_gateway_call_t* call, asg_gateway_job_t* job, int64_t now,
                                      asg_gateway_verdict_t* out) noexcept {
    clear_verdict(out);
    try {
        Verdict v;
        call->call.on_spend_read(job ? &job->read : nullptr, now, v);
        fill(out, v);
    } catch (const std::exception& e) {
        internal_error(out, e.what());
    } catch (...) {
        internal_error(out, "unknown");
    }
    delete job;
}

extern "C" void asg_gateway_job_free(asg_gateway_job_t* job) noexcept { delete job; }

extern "C" void asg_gateway_outbox(asg_redis_commands_t* out) noexcept {
    try {
        static std::string wire;  // backs the exported pointers (event loop only)
        // A MULTI..EXEC is never split: room for one (at most 5 commands) past the 7.
        export_commands(outbox_take(ASG_REDIS_MAX_COMMANDS - 5), out, wire);
    } catch (...) {
        out->count = 0;
    }
}

extern "C" void asg_gateway_counters_lost(void) noexcept { counters_lost(); }

extern "C" asg_str_t asg_gateway_call_field(asg_gateway_call_t* call, int field) noexcept {
    const std::string* s = nullptr;
    switch (field) {
        case ASG_GATEWAY_BODY: s = &call->call.body(); break;
        case ASG_GATEWAY_UPSTREAM_URL: s = &call->call.upstream_url(); break;
        case ASG_GATEWAY_PROVIDER_KEY: s = &call->call.provider_key(); break;
        case ASG_GATEWAY_PROVIDER_HOST: s = &call->call.provider_host(); break;
        default: return {nullptr, 0};
    }
    return {s->data(), s->size()};
}

extern "C" void asg_gateway_response_start(asg_gateway_call_t* call, int status, const char* content_type,
                                           size_t len) noexcept {
    try {
        call->call.meter().start(status, std::string_view(content_type ? content_type : "", content_type ? len : 0));
    } catch (...) {
    }
}

extern "C" void asg_gateway_response_data(asg_gateway_call_t* call, const char* data, size_t len) noexcept {
    try {
        call->call.meter().feed(data, len);
    } catch (...) {
    }
}

extern "C" void asg_gateway_response_stream(asg_gateway_call_t* call, const char* data, size_t len, int last,
                                            const char** out, size_t* out_len) noexcept {
    call->out.clear();
    try {
        call->call.stream_data(data ? data : "", data ? len : 0, last != 0, call->out);
        *out = call->out.data();
        *out_len = call->out.size();
    } catch (const std::exception&) {
        // Out of memory mid-rewrite: these bytes go on as the provider sent them.
        *out = data;
        *out_len = data ? len : 0;
    }
}

extern "C" int asg_gateway_response_end(asg_gateway_call_t* call, asg_http_error_t* out) noexcept {
    static const char kMalformed[] =
        "{\"error\":{\"message\":\"the model provider's answer was not valid JSON; nothing of it was passed on\","
        "\"type\":\"upstream_error\",\"code\":\"upstream_malformed\"}}";
    std::memset(out, 0, sizeof *out);
    try {
        GatewayCall::Whole whole = call->call.answer_whole();
        if (whole == GatewayCall::Whole::as_is) return 0;
        if (whole == GatewayCall::Whole::rewritten) {
            const std::string& body = call->call.rewritten();
            out->body = static_cast<char*>(std::malloc(body.size() + 1));
            if (out->body == nullptr) return 0;  // the provider's own answer goes on
            std::memcpy(out->body, body.data(), body.size());
            out->body_len = body.size();
            out->http_status = call->call.meter().http_status();
            return out->http_status;
        }
        out->body = static_cast<char*>(std::malloc(sizeof kMalformed));
        if (out->body != nullptr) {
            std::memcpy(out->body, kMalformed, sizeof kMalformed);
            out->body_len = sizeof kMalformed - 1;
        }
        out->http_status = 502;
        return 502;
    } catch (...) {
        return 0;  // the meter cannot say: the answer goes on as it came
    }
}

extern "C" void asg_gateway_end(asg_gateway_call_t* call, int final_status, int client_aborted, int64_t now) noexcept {
    try {
        if (call->call.ended()) return;
        call->call.set_final_status(final_status);
        call->call.end(client_aborted != 0, now);
    } catch (...) {
    }
}

extern "C" void asg_gateway_call_free(asg_gateway_call_t* call) noexcept {
    if (call == nullptr) return;
    if (call->call.awaiting_reply()) {
        call->call.abandon();
        call->freed = true;  // asg_gateway_redis_reply frees it
        return;
    }
    delete call;
}

extern "C" int asg_gateway_refresh(char* err, size_t errlen) noexcept {
    try {
        std::string error;
        if (refresh_gateway_snapshot(error)) return 0;
        copy_to(err, errlen, error);
        return -1;
    } catch (const std::exception& e) {
        copy_to(err, errlen, e.what());
        return -1;
    } catch (...) {
        return -1;
    }
}

extern "C" void asg_gateway_hand_over_rows(void) noexcept {
    try {
        hand_over_loop_rows();
    } catch (...) {
        // Left for the next hand-over.
    }
}

extern "C" int asg_gateway_flush(char* err, size_t errlen) noexcept {
    try {
        std::string error = flush_gateway_spend();
        if (error.empty()) return 0;
        copy_to(err, errlen, error);
        return -1;
    } catch (...) {
        copy_to(err, errlen, "unknown error");
        return -1;
    }
}

static void set_body(asg_http_error_t* out, int status, const std::string& body) {
    out->http_status = status;
    out->body = static_cast<char*>(std::malloc(body.size()));
    if (out->body) {
        std::memcpy(out->body, body.data(), body.size());
        out->body_len = body.size();
    }
}

extern "C" int asg_gateway_route(const char* path, size_t len) noexcept {
    Route route;
    return path != nullptr && route_from_path(std::string_view(path, len), route) ? static_cast<int>(route) : -1;
}

extern "C" int asg_gateway_route_api(int route) noexcept {
    if (route < ASG_ROUTE_CHAT || route > ASG_ROUTE_COUNT_TOKENS) return ASG_API_OPENAI;
    return static_cast<int>(route_info(static_cast<Route>(route)).api);
}

extern "C" void asg_gateway_error(int api, int status, const char* code, const char* message, asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    out->http_status = status;
    try {
        std::string type = status == 401 ? "authentication_error" : status == 403 ? "permission_error"
                         : status == 404 ? "not_found_error" : status == 429 ? "rate_limit_error"
                         : status >= 500 ? "upstream_error" : "invalid_request_error";
        set_body(out, status, error_body(static_cast<Api>(api), status, message ? message : "", type, code ? code : ""));
    } catch (const std::exception&) {
        out->body = nullptr;  // the glue answers with the status alone
    }
}

// One model in OpenAI's shape (id, object, created, owned_by) with Asgard's own fields beside.
static json_t* model_json(const GatewaySnapshot& s, const ModelEntry& m, const asg_principal_t* p) {
    Json classes = json_own(json_array());
    for (const auto& c : m.data_classes) json_array_append_new(classes.get(), json_string(c.c_str()));
    return json_pack("{s:s,s:s,s:I,s:s,s:O,s:{s:f,s:f},s:I,s:b}", "id", m.alias.c_str(), "object", "model", "created",
                     (json_int_t)m.created, "owned_by", m.provider.c_str(), "data_classes", classes.get(), "price_usd_per_mtok",
                     "input", m.price_in, "output", m.price_out, "max_output_tokens", (json_int_t)m.max_output_tokens, "killed",
                     s.kill_models.count(m.alias) > 0 || s.kill_global || s.kill_projects.count(p->project_id) > 0);
}

// One model in Anthropic's shape (type, id, display_name, created_at as RFC 3339).
static json_t* anthropic_model_json(const ModelEntry& m) {
    char created[32];
    time_t t = static_cast<time_t>(m.created);
    struct tm tm;
    gmtime_r(&t, &tm);
    std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s,s:s,s:s,s:s}", "type", "model", "id", m.alias.c_str(), "display_name", m.alias.c_str(), "created_at",
                     created);
}

extern "C" void asg_gateway_models(const asg_principal_t* p, asg_str_t model_id, int api, int64_t now,
                                   asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    Api family = api == ASG_API_ANTHROPIC ? Api::anthropic : Api::openai;
    try {
        auto s = current_gateway_snapshot();
        if (!s || !gateway_snapshot_fresh(now, 10000))
            return set_body(out, 503, error_body(family, 503, "the gateway's configuration store (PostgreSQL) is unavailable; try again shortly",
                                                 "service_unavailable", "config_unavailable"));
        // Anthropic's clients list what /messages can serve: the models of Anthropic providers.
        auto listed = [&](const ModelEntry& m) {
            auto provider = s->providers.find(m.provider);
            return provider != s->providers.end() && (family == Api::openai || provider->second.api == Api::anthropic);
        };
        if (model_id.len > 0) {
            std::string_view id(model_id.data, model_id.len);
            auto m = s->models.find(id);
            if (m == s->models.end() || !listed(m->second))
                return set_body(out, 404, error_body(family, 404, "the model '" + std::string(id) + "' does not exist or this key may not use it",
                                                     "invalid_request_error", "model_not_found"));
            return set_body(out, 200, json_to_string(json_own(family == Api::anthropic ? anthropic_model_json(m->second)
                                                                                        : model_json(*s, m->second, p)).get()));
        }
        Json data = json_own(json_array());
        std::string first, last;
        for (const auto& [alias, m] : s->models) {
            if (!listed(m)) continue;
            json_array_append_new(data.get(), family == Api::anthropic ? anthropic_model_json(m) : model_json(*s, m, p));
            if (first.empty()) first = alias;
            last = alias;
        }
        if (family == Api::anthropic)
            return set_body(out, 200, json_to_string(json_own(json_pack("{s:O,s:b,s:s?,s:s?}", "data", data.get(), "has_more", 0,
                                                                        "first_id", first.empty() ? nullptr : first.c_str(),
                                                                        "last_id", last.empty() ? nullptr : last.c_str())).get()));
        set_body(out, 200, json_to_string(json_own(json_pack("{s:s,s:O}", "object", "list", "data", data.get())).get()));
    } catch (const std::exception&) {
        set_body(out, 500, error_body(family, 500, "internal error in the gateway", "server_error", "internal"));
    }
}

extern "C" void asg_gateway_user_token_error(int api, asg_http_error_t* out) noexcept {
    std::memset(out, 0, sizeof *out);
    try {
        set_body(out, 403, error_body(api == ASG_API_ANTHROPIC ? Api::anthropic : Api::openai, 403,
                                      "a user token never calls a service: mint the project key with gateway_credential",
                                      "permission_error", "user_token_not_allowed"));
    } catch (...) {
        out->http_status = 403;
    }
}


