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
#include "gateway/guardrails.hpp"
#include "gateway/openai_errors.hpp"
#include "gateway/reservation_amount.hpp"
#include "gateway/reservation_reply.hpp"
#include "gateway/spend_log.hpp"
#include "store/redis_connection.hpp"
#include "util/crypto.hpp"
#include "util/json_writer.hpp"

namespace asg {

namespace dom = simdjson::dom;

namespace {

const char* kDataClasses[] = {"public", "internal", "confidential", "restricted"};
bool known_data_class(const std::string& c) {
    for (const char* k : kDataClasses)
        if (c == k) return true;
    return false;
}

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

GatewayCall::~GatewayCall() { cancel_asks(); }

// The leases stop counting this call's top-ups as on their way (no answer will be applied).
void GatewayCall::cancel_asks() {
    if (!keys_.asking) return;
    keys_.asking = false;
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    for (std::size_t i = 0; i < n; ++i)
        if (keys_.requested[i] > 0) counter_leases().cancel(needs[i].key, keys_.requested[i]);
}

void GatewayCall::reject(Verdict& v, int status, const std::string& message, const std::string& type,
                         const std::string& code) {
    v.status = status;
    v.body = openai_error(message, type, code);
    rejected_status_ = status;
    rejected_code_ = code;
}

void GatewayCall::decide(std::string_view raw, bool padded, std::int64_t now, Verdict& v) {
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
    dom::array messages;
    if (!chat.messages || chat.messages->get_array().get(messages) || messages.size() == 0)
        return reject(v, 400, "messages must be a non-empty array", "invalid_request_error", "invalid_messages");
    // data_class: the request's, else the operator's default, else a 400.
    std::string data_class = s.default_data_class;
    if (chat.data_class) {
        std::string_view text;
        if (chat.data_class->get_string().get(text))
            return reject(v, 400, "data_class must be one of public, internal, confidential, restricted", "invalid_request_error", "invalid_data_class");
        data_class.assign(text);
    }
    if (data_class.empty())
        return reject(v, 400, "data_class is required (public, internal, confidential or restricted)", "invalid_request_error", "missing_data_class");
    if (!known_data_class(data_class))
        return reject(v, 400, "data_class must be one of public, internal, confidential, restricted", "invalid_request_error", "invalid_data_class");
    data_class_ = data_class;  // only a known class ever reaches the call log
    if (model_->data_classes.count(data_class_) == 0) {
        std::string allowed;
        for (const auto& c : model_->data_classes) allowed += (allowed.empty() ? "" : ", ") + c;
        return reject(v, 403, "data_class " + data_class_ + " is not allowed for model " + model_->alias + " (allowed: " + allowed + ")",
                      "permission_error", "data_class_not_allowed");
    }
    std::size_t i = 0;
    for (dom::element message : messages) {
        if (!message.is_object() || !message["role"].is_string())
            return reject(v, 400, "messages[" + std::to_string(i) + "] must be an object with a role", "invalid_request_error", "invalid_messages");
        ++i;
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
    if (LimitError error = read_output_limit(chat, model_->max_output_tokens, model_->alias, limit); !error.message.empty())
        return reject(v, 400, error.message, "invalid_request_error", error.code);
    AddedLimit added{limit.forced_member, limit.per_choice};
    body_ = provider_body(raw, chat, model_->upstream_model, &scan.redactions, &added);
    max_output_ = limit.total();
    est_input_ = estimate_input_tokens(body_);
    worst_micro_ = cost_micro(*model_, est_input_, max_output_);
}

void GatewayCall::prepare_keys(std::int64_t now) {
    const GatewaySnapshot& s = *snapshot_;
    std::string_view project = principal_.project_id;
    const std::int64_t minute = now / 60000;
    keys_.now = now;
    keys_.reset = 60 - (now / 1000) % 60;
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
    keys_.rate = recent.rate;
    keys_.tokens = recent.tokens;
    keys_.budget = recent.budget;
    keys_.limit = recent.limit;
    keys_.has_budget = recent.has_budget;
    keys_.budget_micro = recent.budget_micro;
}

std::size_t GatewayCall::counter_needs(CounterNeed* out) const {
    out[0] = {keys_.rate, 1, keys_.limit.rpm};
    out[1] = {keys_.tokens, est_input_ + max_output_, keys_.limit.tpm};
    if (!keys_.has_budget) return 2;
    out[2] = {keys_.budget, worst_micro_, keys_.budget_micro};
    return 3;
}

void GatewayCall::rate_headers(std::int64_t used_r, std::int64_t used_t, Verdict& v) const {
    const RateLimit& limit = keys_.limit;
    v.rate = {true, limit.rpm, std::max<std::int64_t>(0, limit.rpm - used_r), limit.tpm,
              std::max<std::int64_t>(0, limit.tpm - used_t), keys_.reset};
}

void GatewayCall::refuse_rate(bool requests, Verdict& v) {
    const RateLimit& limit = keys_.limit;
    v.retry_after = std::to_string(keys_.reset);
    reject(v, 429, requests ? "rate limit reached: " + std::to_string(limit.rpm) + " requests per minute for this key"
                            : "rate limit reached: " + std::to_string(limit.tpm) + " tokens per minute for this key",
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

// Decides on the counters after an exact reservation; fills followup_ with the undo of a refusal.
bool GatewayCall::evaluate_exact(std::int64_t used_r, std::int64_t used_t, std::int64_t total, Verdict& v) {
    rate_headers(used_r, used_t, v);
    bool over_rate = used_r > keys_.limit.rpm || used_t > keys_.limit.tpm;
    bool over_budget = keys_.has_budget && total > keys_.budget_micro;
    followup_.clear();
    if (over_rate || over_budget) {
        followup_ = undo_reservation_commands();
        reserved_rate_ = reserved_budget_ = false;
    }
    if (over_rate) {
        refuse_rate(used_r > keys_.limit.rpm, v);
        return false;
    }
    if (over_budget) {
        refuse_budget(keys_.budget_micro - (total - worst_micro_), v);
        return false;
    }
    proceeded_ = true;
    return true;
}

// After Redis answered: takes the call's needs from the leases. When they do not cover it, a
// counter Redis found at its limit (`limited`) refuses the call (requests, tokens, then budget,
// naming what this worker could still use); a counter that is short only because concurrent
// calls of this worker took its lease while Redis was asked is no refusal: kRetry.
GatewayCall::LeaseOutcome GatewayCall::evaluate_leases(const bool* limited, Verdict& v) {
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    CounterLeases& leases = counter_leases();
    std::int64_t used[3];
    if (leases.take_all(needs, n, keys_.now, keys_.lease_serials, used)) {
        took_from_leases(used, v);
        return kTaken;
    }
    rate_headers(used[0], used[1], v);
    for (std::size_t i = 0; i < n; ++i) {
        if (leases.available(needs[i].key) >= needs[i].amount) continue;
        if (!limited[i]) return kRetry;
        if (i == 2) {
            refuse_budget(leases.available(keys_.budget), v);
        } else {
            refuse_rate(i == 0, v);
        }
        return kRefused;
    }
    return kRetry;
}

bool GatewayCall::reserve_from_leases(std::int64_t now, Verdict& v) {
    prepare_keys(now);
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    std::int64_t used[3];
    if (!counter_leases().take_all(needs, n, now, keys_.lease_serials, used)) return false;
    took_from_leases(used, v);
    return true;
}

// The call's needs came out of the leases: it goes on, with the rate-limit headers as the worker
// sees them (`used`: the requests and tokens counters, as take_all reported them).
void GatewayCall::took_from_leases(const std::int64_t* used, Verdict& v) {
    rate_headers(used[0], used[1], v);
    from_leases_ = reserved_rate_ = true;
    reserved_budget_ = keys_.has_budget;
    proceeded_ = true;
}

void GatewayCall::build_commands() {
    const std::int64_t* amount = keys_.requested;
    commands_ = {{"MULTI"},
                 {"INCRBY", keys_.rate.str(), std::to_string(amount[0])},
                 {"PEXPIRE", keys_.rate.str(), "120000"},
                 {"INCRBY", keys_.tokens.str(), std::to_string(amount[1])},
                 {"PEXPIRE", keys_.tokens.str(), "120000"}};
    if (keys_.has_budget)
        commands_.insert(commands_.end(), {{"GET", keys_.budget.str() + ":epoch"}, {"INCRBY", keys_.budget.str(), std::to_string(amount[2])}});
    commands_.push_back({"EXEC"});
}

const std::vector<std::vector<std::string>>& GatewayCall::reserve_commands(std::int64_t now) {
    prepare_keys(now);
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    bool refill = false;  // topping up one counter: the others too, if they run low
    for (std::size_t i = 0; i < n; ++i) refill = refill || counter_leases().top_up(needs[i], false) > 0;
    for (std::size_t i = 0; i < 3; ++i) keys_.requested[i] = i < n ? counter_leases().top_up(needs[i], refill) : 0;
    keys_.asking = true;
    build_commands();
    return commands_;
}

std::vector<std::vector<std::string>> GatewayCall::undo_reservation_commands() const {
    std::vector<std::vector<std::string>> undo = {{"DECRBY", keys_.rate.str(), std::to_string(keys_.requested[0])},
                                                  {"DECRBY", keys_.tokens.str(), std::to_string(keys_.requested[1])}};
    if (keys_.has_budget) undo.push_back({"DECRBY", keys_.budget.str(), std::to_string(keys_.requested[2])});
    return undo;
}

bool GatewayCall::reserve_reply(const redisReply* exec, Verdict& v) {
    ReservationReply shape = classify_reservation_reply(exec, keys_.has_budget);
    followup_.clear();
    if (shape == ReservationReply::malformed) {
        // EXEC ran (an array) but some element is an error: take back what did count.
        cancel_asks();
        if (exec != nullptr && exec->type == REDIS_REPLY_ARRAY) followup_ = undo_reservation_commands();
        return false;
    }
    if (shape == ReservationReply::budget_uninitialized) {
        // The month's counter is not initialized: undo, and let the synchronous path do it.
        cancel_asks();
        followup_ = undo_reservation_commands();
        return false;
    }
    if (keys_.has_budget) keys_.epoch.assign(exec->element[4]->str, exec->element[4]->len);
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    const std::size_t totals[3] = {0, 2, 5};
    bool limited[3] = {false, false, false};
    keys_.asking = false;  // answered: each grant() below settles its ask
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t total = exec->element[totals[i]]->integer;
        std::int64_t over = counter_leases().grant(needs[i], keys_.requested[i], total,
                                                   i == 2 ? std::string_view(keys_.epoch) : std::string_view(), keys_.now);
        if (over > 0) followup_.push_back({"DECRBY", std::string(needs[i].key), std::to_string(over)});
        limited[i] = over > 0 || total - over + needs[i].amount > needs[i].limit;
    }
    // Short only for this worker's own concurrency: the exact reservation (thread pool) decides.
    return evaluate_leases(limited, v) != kRetry;
}

namespace {

// Makes the month's budget counter hold PostgreSQL's record of the month's spend, exactly once:
// the initializer (holding a short lock) adds the baseline, then publishes the epoch key; until
// the epoch exists every reservation backs out and waits here.
void initialize_budget_counter(RedisConnection& redis, const std::string& project, const std::string& bkey) {
    std::string ekey = bkey + ":epoch", lock = bkey + ":init";
    for (int attempt = 0; attempt < 1000; ++attempt) {
        auto epoch = redis.command({"GET", ekey});
        if (epoch->type != REDIS_REPLY_NIL) return;
        auto locked = redis.command({"SET", lock, "1", "NX", "PX", "5000"});
        if (locked->type == REDIS_REPLY_STATUS) {
            auto spent = thread_pg().exec(
                "SELECT coalesce((sum(cost_usd) * 1000000)::bigint, 0) FROM spend_daily"
                " WHERE project_id = $1 AND day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date",
                {project});
            redis.pipeline({{"INCRBY", bkey, std::to_string(spent.int64(0, 0))},
                            {"EXPIRE", bkey, "3456000"},
                            {"SET", ekey, std::to_string(now_ms()) + "-" + to_hex(random_bytes(4)), "EX", "3456000"},
                            {"DEL", lock}});
            return;
        }
        struct timespec pause {0, 2000000};
        nanosleep(&pause, nullptr);
    }
    throw RedisError("the budget counter of " + project + " could not be initialized");
}

}  // namespace

// The synchronous reservation (thread pool: the asynchronous connection is down, or the month's
// budget counter needs initializing): exactly the call's needs, no leases.
void GatewayCall::reserve(std::int64_t now, Verdict& v) {
    const GatewaySnapshot& s = *snapshot_;
    prepare_keys(now);
    CounterNeed needs[3];
    std::size_t n = counter_needs(needs);
    try {
        RedisConnection* connection = nullptr;
        std::vector<RedisReply> replies;
        try {
            connection = &thread_redis();
            if (!followup_.empty()) {  // an asynchronous attempt left counters to undo
                connection->pipeline(followup_);
                followup_.clear();
            }
            reserved_rate_ = reserved_budget_ = from_leases_ = false;
            for (std::size_t i = 0; i < 3; ++i) keys_.requested[i] = i < n ? needs[i].amount : 0;
            build_commands();
            replies = connection->pipeline(commands_);
        } catch (const RedisError&) {
            if (!s.rate_limit_fail_open || keys_.has_budget) throw;
            proceeded_ = true;  // rate limits fail open by the operator's setting; no budget to guard
            return;
        }
        RedisConnection& redis = *connection;
        const redisReply* exec = replies.back().get();
        ReservationReply shape = classify_reservation_reply(exec, keys_.has_budget);
        if (shape == ReservationReply::budget_uninitialized) {
            redis.pipeline(undo_reservation_commands());
            initialize_budget_counter(redis, principal_.project_id, keys_.budget.str());
            replies = redis.pipeline(commands_);
            exec = replies.back().get();
            shape = classify_reservation_reply(exec, keys_.has_budget);
            if (shape == ReservationReply::budget_uninitialized) throw RedisError("the budget counter vanished while reserving");
        }
        if (shape != ReservationReply::ok) throw RedisError("unexpected reply to the reservation (an element of EXEC is not an integer)");
        reserved_rate_ = true;
        reserved_budget_ = keys_.has_budget;
        if (keys_.has_budget) keys_.epoch.assign(exec->element[4]->str, exec->element[4]->len);
        evaluate_exact(exec->element[0]->integer, exec->element[2]->integer,
                       keys_.has_budget ? exec->element[5]->integer : 0, v);
        if (!followup_.empty()) {
            redis.pipeline(followup_);
            followup_.clear();
        }
    } catch (const RedisError&) {
        return reject(v, 503, "the gateway's counter store (Redis) is unavailable; try again shortly", "service_unavailable",
                      "redis_unavailable");
    } catch (const PgError&) {
        return reject(v, 503, "the gateway's spend store (PostgreSQL) is unavailable; try again shortly",
                      "service_unavailable", "database_unavailable");
    }
}

std::int64_t GatewayCall::settle_cost(std::int64_t& in, std::int64_t& out, bool client_aborted) {
    (void)client_aborted;
    meter_.finish();
    in = est_input_;
    out = 0;
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

bool GatewayCall::answer_whole() {
    meter_.finish();
    int status = meter_.http_status();
    malformed_answer_ = !meter_.streamed() && status >= 200 && status < 300 && meter_.malformed() && !meter_.overflowed();
    return !malformed_answer_;
}

std::string GatewayCall::redacted_list() const {
    std::string out;
    for (const auto& detector : redacted_)
        if (out.find(detector) == std::string::npos) out += (out.empty() ? "" : ",") + detector;
    return out;
}

void GatewayCall::queue_spend(std::int64_t in, std::int64_t out, std::int64_t cost, bool client_aborted, std::int64_t now,
                              bool on_loop) {
    // The provider's status when its answer reached the client; else what the client got.
    int status = malformed_answer_ ? 502 : meter_.http_status() ? meter_.http_status() : final_status_;
    std::string outcome = malformed_answer_ ? "upstream_malformed"
                          : client_aborted ? "client_aborted"
                          : status >= 200 && status < 300 ? "ok"
                                                          : "upstream_error";
    queue_row({now, principal_.project_id, &model_->alias, request_id_, data_class_, outcome, principal_.token_id, in, out,
               cost, status, true, redacted_list()},
              on_loop);
}

void GatewayCall::queue_row(SpendRow&& row, bool on_loop) const {
    on_loop ? queue_spend_row_from_loop(std::move(row), snapshot_) : queue_spend_row(std::move(row), snapshot_);
}

// Settlements give back what a reservation over-counted; they are summed per counter and sent
// in one pipeline every 100 ms (drain_settlements). Until then a counter stays higher than the
// truth: a budget may refuse a call a little early, never let one overspend.
namespace {
constexpr std::int64_t kLeaseIdleMs = 1000;  // a lease unused this long goes back to Redis
std::mutex g_settle_mutex;
std::map<std::string, std::int64_t> g_settle_deltas;  // counter key -> amount to take back
}  // namespace

void GatewayCall::settle_deferred(bool client_aborted, std::int64_t now) {
    if (!proceeded_) return queue_refused(now, true);
    std::int64_t in = 0, out = 0;
    std::int64_t cost = settle_cost(in, out, client_aborted);
    Overcount over = overcount(in, out, cost);
    // What the reservation over-counted goes back into the worker's lease when it came from one,
    // else (or when the lease is gone) to Redis with the next batch.
    auto give_back = [&](bool reserved, std::string_view key, std::int64_t amount, std::uint64_t serial) {
        if (!reserved || amount == 0) return;
        if (from_leases_ && amount > 0 && counter_leases().give_back(key, amount, serial)) return;
        std::lock_guard<std::mutex> lock(g_settle_mutex);
        g_settle_deltas[std::string(key)] += amount;
    };
    give_back(reserved_budget_, keys_.budget, over.budget, keys_.lease_serials[2]);
    give_back(reserved_rate_, keys_.tokens, over.tokens, keys_.lease_serials[1]);
    queue_spend(in, out, cost, client_aborted, now, true);
}

std::vector<std::vector<std::string>> drain_settlements(std::size_t most) {
    std::vector<std::vector<std::string>> commands = counter_leases().release_idle(now_ms(), kLeaseIdleMs, most);
    std::lock_guard<std::mutex> lock(g_settle_mutex);
    for (auto it = g_settle_deltas.begin(); it != g_settle_deltas.end() && commands.size() < most;) {
        if (it->second != 0) commands.push_back({"DECRBY", it->first, std::to_string(it->second)});
        it = g_settle_deltas.erase(it);
    }
    return commands;
}

void GatewayCall::queue_refused(std::int64_t now, bool on_loop) {
    queue_row({now, principal_.project_id, &model_->alias, request_id_, data_class_, "denied:" + rejected_code_,
               principal_.token_id, 0, 0, 0, rejected_status_, false, ""},
              on_loop);
}

void GatewayCall::settle(bool client_aborted) {
    if (!proceeded_) return queue_refused(now_ms(), false);
    std::int64_t in = 0, out = 0;
    std::int64_t cost = settle_cost(in, out, client_aborted);
    Overcount over = overcount(in, out, cost);
    try {
        std::vector<std::vector<std::string>> commands;
        if (reserved_budget_) commands.push_back({"DECRBY", keys_.budget.str(), std::to_string(over.budget)});
        if (reserved_rate_) commands.push_back({"DECRBY", keys_.tokens.str(), std::to_string(over.tokens)});
        if (!commands.empty()) thread_redis().pipeline(commands);
    } catch (const std::exception&) {
        // Counters may be lost with Redis; PostgreSQL's spend rows stay the record.
    }
    queue_spend(in, out, cost, client_aborted, now_ms(), false);
}

}  // namespace asg
