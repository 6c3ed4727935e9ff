// The gateway call's governance, reservation and settlement.
#include "gateway/gateway_call.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>

#include "config/runtime_config.hpp"
#include "gateway/chat_body.hpp"
#include "gateway/data_class.hpp"
#include "gateway/guardrails.hpp"
#include "gateway/gateway_errors.hpp"
#include "gateway/redis_outbox.hpp"
#include "gateway/reservation_amount.hpp"
#include "gateway/spend_log.hpp"
#include "store/cost_store.hpp"
#include "store/pg_connection.hpp"
#include "util/money.hpp"
#include "util/crypto.hpp"
#include "util/json_writer.hpp"

namespace asg {

namespace dom = simdjson::dom;

namespace {

// The key and minute whose counters this worker last gave their expiry, on which connection: its
// later reservations in that minute leave the PEXPIREs out (event loop only).
struct TtlGiven {
    std::int64_t token_id = -1, minute = -1;
    std::uint64_t generation = 0;
};
TtlGiven g_ttl_given;

std::int64_t cost_micro(const ModelEntry& m, std::int64_t in, std::int64_t out) {
    return static_cast<std::int64_t>(std::ceil(in * m.price_in + out * m.price_out));  // USD/Mtok * tok = micro-USD
}

}  // namespace

const ModelEntry GatewayCall::kNoModel{};
const ProviderEntry GatewayCall::kNoProvider{};

GatewayCall::GatewayCall(const asg_principal_t& principal, std::string_view request_id) : principal_(principal) {
    request_id_.fill('\0');
    request_id.copy(request_id_.data(), std::min(request_id.size(), request_id_.size() - 1));
}

void GatewayCall::reject(Verdict& v, int status, const std::string& message, const std::string& type,
                         const std::string& code) {
    v.status = status;
    v.body = error_body(route_info(route_).api, status, message, type, code);
    // A refusal that a retry cannot change: the openai and Anthropic SDKs honour this header.
    if (status == 402 || status == 403 || code == "kill_switch") v.headers.push_back({"x-should-retry", "false"});
    rejected_status_ = status;
    rejected_code_ = code;
}

void GatewayCall::decide(std::string_view raw, bool padded, std::string_view header_data_class, Route route,
                         std::int64_t now, Verdict& v) {
    route_ = route;
    const RouteInfo& info = route_info(route);
    snapshot_ = current_gateway_snapshot();
    if (!snapshot_ || !gateway_snapshot_fresh(now, 10000))
        return reject(v, 503, "the gateway's configuration store (PostgreSQL) is unavailable; try again shortly",
                      "service_unavailable", "config_unavailable");
    const GatewaySnapshot& s = *snapshot_;
    std::string_view project = principal_.project_id;
    ChatBody chat;
    if (std::string error = parse_chat_body(raw, padded, chat); !error.empty())
        return reject(v, 400, error, "invalid_request_error", "invalid_json");
    // Kill switch first: global, project, then model.
    if (s.kill_global)
        return reject(v, 503, "the gateway is switched off for all calls" + (s.kill_global_reason.empty() ? "" : ": " + s.kill_global_reason),
                      "service_unavailable", "kill_switch");
    if (auto it = s.kill_projects.find(project); it != s.kill_projects.end())
        return reject(v, 503, "the gateway is switched off for project " + std::string(project) + (it->second.empty() ? "" : ": " + it->second),
                      "service_unavailable", "kill_switch");
    std::string_view alias_text;
    if (!chat.model || chat.model->get_string().get(alias_text) || alias_text.empty())
        return reject(v, 400, "model is required (a string such as model:default/gpt-5)", "invalid_request_error", "missing_model");
    if (auto it = s.kill_models.find(alias_text); it != s.kill_models.end())
        return reject(v, 503, "the gateway is switched off for model " + std::string(alias_text) + (it->second.empty() ? "" : ": " + it->second),
                      "service_unavailable", "kill_switch");
    auto model = s.models.find(alias_text);
    auto provider = model == s.models.end() ? s.providers.end() : s.providers.find(model->second.provider);
    if (provider == s.providers.end()) {
        std::string names;
        for (const auto& [name, m] : s.models)
            if (s.providers.count(m.provider)) names += (names.empty() ? "" : ", ") + name;
        return reject(v, 404, "unknown model '" + std::string(alias_text) + "'; this key may use: " + (names.empty() ? "(none configured)" : names),
                      "not_found_error", "model_not_found");
    }
    model_ = &model->second;
    provider_ = &provider->second;
    // No translation between API families: the model's provider must speak the route's.
    if (provider_->api != info.api)
        return reject(v, 400, "model " + model_->alias + " is served by an " + std::string(api_name(provider_->api)) +
                                  " provider: call it at " + std::string(api_routes(provider_->api)) + ", not at /v1" +
                                  std::string(info.path),
                      "invalid_request_error", "model_wrong_api");
    upstream_url_ = provider_->url(route);
    dom::array messages;
    if (info.prompt == "messages") {
        if (!chat.messages || chat.messages->get_array().get(messages) || messages.size() == 0)
            return reject(v, 400, "messages must be a non-empty array", "invalid_request_error", "invalid_messages");
    } else {
        dom::array items;
        if (!chat.input || !(chat.input->is_string() || (!chat.input->get_array().get(items) && items.size() > 0)))
            return reject(v, 400, "input must be a string or a non-empty array", "invalid_request_error", "invalid_input");
    }
    // data_class: the body's, else the X-Asgard-Data-Class header's (both given must agree),
    // else the key's default, else the operator's default, else a 400.
    std::string data_class = principal_.default_data_class[0] != '\0' ? std::string(principal_.default_data_class) : s.default_data_class;
    if (!header_data_class.empty()) data_class.assign(header_data_class);
    if (chat.data_class) {
        std::string_view text;
        if (chat.data_class->get_string().get(text))
            return reject(v, 400, std::string("data_class must be one of ") + kDataClassList, "invalid_request_error", "invalid_data_class");
        if (!header_data_class.empty() && text != header_data_class)
            return reject(v, 400, "data_class " + std::string(text) + " in the body and " + std::string(header_data_class) +
                                      " in the X-Asgard-Data-Class header differ: give one, or the same in both",
                          "invalid_request_error", "data_class_conflict");
        data_class.assign(text);
    }
    if (data_class.empty())
        return reject(v, 400, "data_class is required (public, internal, confidential or restricted)", "invalid_request_error", "missing_data_class");
    if (!is_data_class(data_class))
        return reject(v, 400, std::string("data_class must be one of ") + kDataClassList, "invalid_request_error", "invalid_data_class");
    data_class_ = data_class;  // only a known class ever reaches the call log
    if (model_->data_classes.count(data_class_) == 0) {
        std::string allowed;
        for (const auto& c : model_->data_classes) allowed += (allowed.empty() ? "" : ", ") + c;
        return reject(v, 403, "data_class " + data_class_ + " is not allowed for model " + model_->alias + " (allowed: " + allowed + ")",
                      "permission_error", "data_class_not_allowed");
    }
    std::size_t i = 0;
    if (info.prompt == "messages") {
        for (dom::element message : messages) {
            if (!message.is_object() || !message["role"].is_string())
                return reject(v, 400, "messages[" + std::to_string(i) + "] must be an object with a role", "invalid_request_error",
                              "invalid_messages");
            ++i;
        }
    }
    // Guardrails over every key and string the provider receives; block or redact per data class.
    BodyScan scan;
    scan_body(chat, s.patterns, guardrail_rules(s, data_class_), scan);
    if (scan.broken != nullptr)
        return reject(v, 503, "guardrail pattern " + scan.broken->name +
                                  " is not a valid RE2 expression; an operator must replace it (asgard guardrail pattern add) or remove it",
                      "service_unavailable", "guardrail_pattern_invalid");
    if (scan.blocked)
        return reject(v, 400, "the prompt contains " + scan.blocked->kind + " (guardrail " + scan.blocked->detector + ", data_class " +
                                  data_class_ + "): remove it", "invalid_request_error", "guardrail_blocked");
    redacted_ = std::move(scan.redacted);
    // What is reserved is what is forwarded: the provider gets the output limit reserved for,
    // and the input estimate is read from the very body it gets.
    OutputLimit limit;
    if (LimitError error = read_route_limit(route, chat, model_->max_output_tokens, model_->alias, limit); !error.message.empty())
        return reject(v, 400, error.message, "invalid_request_error", error.code);
    AddedLimit added{limit.forced_member, limit.per_choice};
    body_ = provider_body(raw, chat, model_->upstream_model, &scan.redactions, &added, info.stream_usage);
    // The client gets its stream's usage chunk only if it asked (the provider is always asked).
    bool usage_asked = false;
    dom::element options, include;
    if (!chat.body["stream_options"].get(options) && options.is_object() && !options["include_usage"].get(include))
        if (include.get_bool().get(usage_asked)) usage_asked = false;  // not a boolean: not asked
    // Every answer names the alias; only chat streams carry a usage chunk the client may not want.
    rewriter_.start(model_->alias, route != Route::chat || usage_asked);
    max_output_ = limit.total();
    // Counting tokens costs nothing and uses no tokens: only the request is counted.
    est_input_ = route == Route::count_tokens ? 0 : estimate_input_tokens(body_);
    worst_micro_ = cost_micro(*model_, est_input_, max_output_);
    meter_.expect(route);
}

void GatewayCall::prepare_keys(std::int64_t now) {
    const GatewaySnapshot& s = *snapshot_;
    std::string_view project = principal_.project_id;
    const std::int64_t minute = now / 60000;
    reserved_at_ = now;
    reset_ = 60 - (now / 1000) % 60;
    // The keys and limits of this thread's last call: the same key calling again within the
    // minute, under the same configuration (the common case under load), copies them.
    // A configuration version names one snapshot: the keys' limits and budget come from it.
    struct Recent {
        std::int64_t version = -1, token_id = -1, minute = -1;
        std::string project;
        CounterKey rate, tokens, budget;
        RateLimit limit;
        bool has_budget = false;
        std::int64_t budget_micro = 0;
    };
    thread_local Recent recent;
    if (recent.version != s.version || recent.token_id != principal_.token_id ||
        recent.minute != minute || recent.project != project) {
        char id[24], minute_digits[24];
        std::string_view id_text(id, std::to_chars(id, id + sizeof id, principal_.token_id).ptr - id);
        std::string_view minute_text(minute_digits,
                                     std::to_chars(minute_digits, minute_digits + sizeof minute_digits, minute).ptr - minute_digits);
        recent.version = -1;  // until it is whole again
        recent.rate.assign({"asgard:rl:r:", id_text, ":", minute_text});
        recent.tokens.assign({"asgard:rl:t:", id_text, ":", minute_text});
        recent.budget.assign({"asgard:budget:", project, ":", utc_month(now)});
        recent.limit = s.limit_for(project);
        auto budget = s.budgets_micro_usd.find(project);
        recent.has_budget = budget != s.budgets_micro_usd.end();
        recent.budget_micro = recent.has_budget ? budget->second : 0;
        recent.project.assign(project);
        recent.token_id = principal_.token_id;
        recent.minute = minute;
        recent.version = s.version;
    }
    keys_.requests = recent.rate;
    keys_.tokens = recent.tokens;
    keys_.budget = recent.budget;
    keys_.rpm = recent.limit.rpm;
    keys_.tpm = recent.limit.tpm;
    keys_.has_budget = recent.has_budget;
    keys_.budget_micro = recent.budget_micro;
}


void GatewayCall::rate_headers(Verdict& v) const {
    v.rate = {true, keys_.rpm, std::max<std::int64_t>(0, keys_.rpm - reservation_.requests_used()), keys_.tpm,
              std::max<std::int64_t>(0, keys_.tpm - reservation_.tokens_used()), reset_};
}

void GatewayCall::refuse_rate(bool requests, Verdict& v) {
    v.retry_after = std::to_string(reset_);
    reject(v, 429, requests ? "rate limit reached: " + std::to_string(keys_.rpm) + " requests per minute for this key"
                            : "rate limit reached: " + std::to_string(keys_.tpm) + " tokens per minute for this key",
           "rate_limit_error", requests ? "rate_limit_requests" : "rate_limit_tokens");
}

void GatewayCall::refuse_budget(std::int64_t remaining, Verdict& v) {
    remaining = std::max<std::int64_t>(0, remaining);
    v.headers.push_back({"x-asgard-budget-remaining-usd", format_usd(remaining)});
    reject(v, 402, "the monthly budget of project " + std::string(principal_.project_id) +
                       " does not cover this call (worst case " + format_usd(worst_micro_) + " USD, remaining " + format_usd(remaining) +
                       " USD)",
           "insufficient_quota", "budget_exceeded");
}

void GatewayCall::redis_unavailable(Verdict& v) {
    reject(v, 503, "the gateway's counter store (Redis) is unavailable; try again shortly", "service_unavailable",
           "redis_unavailable");
}

void GatewayCall::reserve(std::int64_t now, Verdict& v) {
    prepare_keys(now);
    generation_ = counter_generation();
    bool ttl_given = g_ttl_given.token_id == principal_.token_id && g_ttl_given.minute == now / 60000 &&
                     g_ttl_given.generation == generation_;
    reservation_ = CounterReservation(keys_, est_input_ + max_output_, worst_micro_, !ttl_given);
    commands_.clear();  // built only if sent on its own (commands()); a batch takes the reservation
    state_ = State::asking;
    v.wait = Verdict::Wait::redis;
}

void GatewayCall::take_back() {
    outbox_push(reservation_.undo_commands(), generation_);
}

// Acts on what the counters said: the call goes on, is refused (and its reservation taken
// back), or waits for its budget's baseline.
void GatewayCall::apply(CounterReservation::Outcome outcome, Verdict& v) {
    using Outcome = CounterReservation::Outcome;
    rate_headers(v);
    state_ = State::refused;
    switch (outcome) {
        case Outcome::admitted:
            state_ = State::admitted;
            proceeded_ = true;
            return;
        case Outcome::needs_baseline:
            state_ = State::reading;  // its reservation stays counted while the spend is read
            v.wait = Verdict::Wait::pool;
            v.rate = {};
            return;
        case Outcome::over_requests: take_back(); return refuse_rate(true, v);
        case Outcome::over_tokens: take_back(); return refuse_rate(false, v);
        case Outcome::over_budget: take_back(); return refuse_budget(reservation_.budget_left(), v);
        case Outcome::malformed:
            // EXEC ran but some element is an error (a counter that is not an integer, ...).
            take_back();
            v.rate = {};
            return redis_unavailable(v);
    }
}

void GatewayCall::on_reply(const redisReply* reply, std::int64_t now, Verdict& v) {
    (void)now;
    bool baseline = waiting_baseline_;
    if (state_ == State::abandoned) {
        // The call answered 503 already; what this late reply counted goes back.
        if (reply != nullptr && !baseline) (void)reservation_.on_reserved(reply);
        if (reply != nullptr || baseline) take_back();
        state_ = State::refused;
        return;
    }
    if (state_ != State::asking) return;
    if (reply == nullptr) {
        // Not sent, or the connection failed with it out: whether it counted is unknown (the
        // connection's loss voids what it counted), so nothing is taken back.
        if (baseline) take_back();
        state_ = State::refused;
        if (!keys_.has_budget && snapshot_->rate_limit_fail_open) {
            state_ = State::admitted;  // rate limits fail open by the operator's setting; no budget to guard
            proceeded_ = true;
            return;
        }
        return redis_unavailable(v);
    }
    if (baseline) return apply(reservation_.on_baseline(reply), v);
    CounterReservation::Outcome outcome = reservation_.on_reserved(reply);
    if (reservation_.executed()) g_ttl_given = {principal_.token_id, reserved_at_ / 60000, generation_};
    apply(outcome, v);
}

void GatewayCall::abandon() {
    if (state_ == State::asking) state_ = State::abandoned;
}

void GatewayCall::on_timeout(Verdict& v) {
    if (state_ != State::asking) return redis_unavailable(v);
    state_ = State::abandoned;
    reject(v, 503, "the gateway's counter store (Redis) did not answer in time; try again shortly", "service_unavailable",
           "redis_unavailable");
}

SpendRead GatewayCall::spend_read() const {
    SpendRead read;
    read.project.assign(principal_.project_id);
    read.now = reserved_at_;
    return read;
}

void SpendRead::run() noexcept {
    try {
        spent_micro = month_spend_micro(thread_pg(), project);
    } catch (const std::exception& e) {
        failed = true;
        try {
            error = e.what();
        } catch (const std::bad_alloc&) {  // the 503 still goes out; only the reason is lost
        }
    }
}

void GatewayCall::on_spend_read(const SpendRead* read, std::int64_t now, Verdict& v) {
    (void)now;
    if (state_ != State::reading) return;
    if (read == nullptr || read->failed) {
        take_back();
        state_ = State::refused;
        v.log_line = "asgard: gateway: the project's month spend could not be read from PostgreSQL: " +
                     (read ? read->error : std::string("the pool task was not made"));
        return reject(v, 503, "the gateway's spend store (PostgreSQL) is unavailable; try again shortly",
                      "service_unavailable", "database_unavailable");
    }
    commands_ = reservation_.baseline_commands(read->spent_micro);
    waiting_baseline_ = true;
    state_ = State::asking;
    v.wait = Verdict::Wait::redis;
}

std::int64_t GatewayCall::settle_cost(std::int64_t& in, std::int64_t& out, bool client_aborted) {
    (void)client_aborted;
    meter_.finish();
    in = est_input_;
    out = 0;
    if (route_ == Route::count_tokens) {
        in = 0;  // free, as at the provider
        return 0;
    }
    int status = meter_.http_status();
    if (meter_.has_usage()) {
        in = meter_.prompt_tokens();
        out = meter_.completion_tokens();
    } else if (meter_.malformed()) {
        out = max_output_;  // unknown usage: charge the reserved worst case
    } else if (status >= 200 && status < 300) {
        out = (meter_.streamed_chars() + 3) / 4;  // interrupted stream: what was generated
    } else {
        in = 0;  // the provider did not serve the call
    }
    return cost_micro(*model_, in, out);
}

void GatewayCall::stream_data(const char* data, std::size_t len, bool last, std::string& out) {
    meter_.feed(data, len);
    rewriter_.feed(data, len, out);
    if (last) rewriter_.finish(out);
}

GatewayCall::Whole GatewayCall::answer_whole() {
    meter_.finish();
    int status = meter_.http_status();
    malformed_answer_ = !meter_.streamed() && status >= 200 && status < 300 && meter_.malformed() && !meter_.overflowed();
    if (malformed_answer_) return Whole::malformed;
    rewritten_.clear();
    if (status >= 200 && status < 300 && append_with_model(meter_.answer(), model_->alias, rewritten_)) return Whole::rewritten;
    return Whole::as_is;
}

std::string GatewayCall::redacted_list() const {
    std::string out;
    for (const auto& detector : redacted_)
        if (out.find(detector) == std::string::npos) out += (out.empty() ? "" : ",") + detector;
    return out;
}

void GatewayCall::queue_spend(std::int64_t in, std::int64_t out, std::int64_t cost, bool client_aborted, std::int64_t now) {
    // The provider's status when its answer reached the client; else what the client got.
    int status = malformed_answer_ ? 502 : meter_.http_status() ? meter_.http_status() : final_status_;
    std::string outcome = malformed_answer_ ? "upstream_malformed"
                          : client_aborted ? "client_aborted"
                          : status >= 200 && status < 300 ? "ok"
                                                          : "upstream_error";
    queue_spend_row_from_loop({now, principal_.project_id, &model_->alias, request_id_, data_class_, outcome,
                               principal_.token_id, in, out, cost, status, true, redacted_list()},
                              snapshot_);
}

void GatewayCall::queue_refused(std::int64_t now) {
    queue_spend_row_from_loop({now, principal_.project_id, &model_->alias, request_id_, data_class_,
                               "denied:" + rejected_code_, principal_.token_id, 0, 0, 0, rejected_status_, false, ""},
                              snapshot_);
}

void GatewayCall::end(bool client_aborted, std::int64_t now) {
    if (ended_) return;
    ended_ = true;
    if (state_ == State::reading) {
        // Ended while its budget's baseline was read (the request's deadline): not served.
        take_back();
        state_ = State::refused;
    }
    if (!proceeded_) return queue_refused(now);
    std::int64_t in = 0, out = 0;
    std::int64_t cost = settle_cost(in, out, client_aborted);
    if (state_ == State::admitted) {
        bool same_minute = now / 60000 == reserved_at_ / 60000;
        std::string reserved_month = utc_month(reserved_at_);  // one thread-local cache: copy before the next
        bool same_month = utc_month(now) == reserved_month;
        CounterReservation::Decrement decrements[2];
        std::size_t n = reservation_.settle_decrements(in + out, cost, same_minute, same_month, decrements);
        for (std::size_t i = 0; i < n; ++i) outbox_decrement(decrements[i].key, decrements[i].amount, generation_);
        state_ = State::refused;  // settled once
    }
    queue_spend(in, out, cost, client_aborted, now);
}

}  // namespace asg
