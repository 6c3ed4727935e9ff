// One call through the governed gateway: the governance decision on the event loop (kill switch,
// model, data_class, guardrails, body rewrite), the reservation of rate limits and budget (from the
// worker's counter leases, topped up from Redis), usage metering while the answer streams, and
// settlement afterwards.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "asgard.h"
#include "gateway/counter_leases.hpp"
#include "gateway/gateway_snapshot.hpp"
#include "gateway/usage_meter.hpp"

namespace asg {

struct SpendRow;  // gateway/spend_log.hpp

// The x-ratelimit-* headers, as numbers (formatted only when they are written out).
struct RateHeaders {
    bool set = false;
    std::int64_t limit_requests = 0, remaining_requests = 0, limit_tokens = 0, remaining_tokens = 0;
    std::int64_t reset_seconds = 0;
};

struct Verdict {
    int status = 0;  // 0: go on; otherwise the HTTP status of the rejection
    std::string body;
    std::string retry_after;
    RateHeaders rate;
    std::vector<std::pair<std::string, std::string>> headers;  // further headers, e.g. the budget left
};

class GatewayCall {
public:
    GatewayCall(const asg_principal_t& principal, std::string_view request_id);
    ~GatewayCall();
    GatewayCall(const GatewayCall&) = delete;  // one owner: the destructor cancels its pending asks
    GatewayCall& operator=(const GatewayCall&) = delete;

    // Phase A (no I/O). Fills verdict on rejection.
    // `padded`: simdjson's padding of readable bytes follows the body, which is parsed in place.
    void decide(std::string_view body, bool padded, std::int64_t now, Verdict& verdict);
    // Phase B on the thread pool (blocking Redis, maybe PostgreSQL): the exact reservation, no
    // leases; for when the asynchronous connection is down or the budget counter needs starting.
    void reserve(std::int64_t now, Verdict& verdict);
    // Phase B from the worker's counter leases alone (no I/O): true when they covered the call.
    bool reserve_from_leases(std::int64_t now, Verdict& verdict);
    // Phase B without I/O, for an asynchronous Redis connection: one MULTI..EXEC topping up the
    // leases, then the evaluation of EXEC's reply. Returns false when the synchronous
    // reserve() must run instead (the budget counter needs initializing, or the leases were
    // drained by this worker's concurrent calls while Redis was asked).
    const std::vector<std::vector<std::string>>& reserve_commands(std::int64_t now);
    bool reserve_reply(const redisReply* exec, Verdict& verdict);
    // Commands to send without waiting after reserve_reply (the undo of a refused reservation);
    // the synchronous reserve() sends them itself when it runs after an asynchronous attempt.
    const std::vector<std::vector<std::string>>& followup_commands() const { return followup_; }
    void followup_sent() { followup_.clear(); }
    // Everything reserve_commands() adds, taken back (a reply that came after the call gave up).
    std::vector<std::vector<std::string>> undo_reservation_commands() const;
    // After the call: settle the reservation and queue the spend and call rows (Redis; thread pool).
    void settle(bool client_aborted);
    // The same without I/O: what the reservation over-counted goes back to the lease it came
    // from, or joins the per-worker sums that drain_settlements() hands to the asynchronous
    // Redis connection.
    // `now_ms`: when the call ended (its row's time).
    void settle_deferred(bool client_aborted, std::int64_t now_ms);

    UsageMeter& meter() { return meter_; }
    // The whole non-streamed answer has been fed (the glue held it back): false when it is not a
    // JSON object and must not reach the client, which is answered 502 upstream_malformed instead
    // (the call's row says so; it is charged its reserved worst case, its usage being unknown).
    bool answer_whole();
    const std::string& body() const { return body_; }
    const std::string& upstream_url() const { return provider_->url; }
    const std::string& provider_key() const { return provider_->key; }
    const std::string& provider_host() const { return provider_->host; }
    // The status the client finally got (e.g. 502 from the provider-error page).
    void set_final_status(int status) { final_status_ = status; }

private:
    void reject(Verdict& v, int status, const std::string& message, const std::string& type, const std::string& code);

    asg_principal_t principal_;
    std::array<char, 33> request_id_;  // NUL-terminated
    std::shared_ptr<const GatewaySnapshot> snapshot_;
    // The call's model and provider, inside snapshot_ (empty ones until the model is known).
    const ModelEntry* model_ = &kNoModel;
    const ProviderEntry* provider_ = &kNoProvider;
    static const ModelEntry kNoModel;
    static const ProviderEntry kNoProvider;
    std::string body_, data_class_;
    std::vector<std::string> redacted_;
    bool reserved_rate_ = false, reserved_budget_ = false, proceeded_ = false, from_leases_ = false;
    bool malformed_answer_ = false;  // replaced by a 502 upstream_malformed
    int rejected_status_ = 0, final_status_ = 0;
    std::string rejected_code_;
    std::int64_t est_input_ = 0, max_output_ = 0, worst_micro_ = 0;
    UsageMeter meter_;
    std::vector<std::vector<std::string>> commands_, followup_;

    struct Keys {
        CounterKey rate, tokens, budget;
        std::string epoch;
        bool has_budget = false;
        std::int64_t budget_micro = 0;
        RateLimit limit;
        std::int64_t reset = 0;  // seconds until the minute's window ends
        std::int64_t now = 0;
        std::int64_t requested[3] = {0, 0, 0};  // what the last MULTI added to rate, tokens, budget
        std::uint64_t lease_serials[3] = {0, 0, 0};  // the leases the call took from
        bool asking = false;  // requested[] is out to Redis and no answer was applied yet
    } keys_;
    void prepare_keys(std::int64_t now);
    std::size_t counter_needs(CounterNeed* out) const;  // rate, tokens[, budget]
    void build_commands();
    void cancel_asks();
    void rate_headers(std::int64_t used_r, std::int64_t used_t, Verdict& v) const;
    void refuse_rate(bool requests, Verdict& v);
    void refuse_budget(std::int64_t remaining, Verdict& v);
    bool evaluate_exact(std::int64_t used_r, std::int64_t used_t, std::int64_t total, Verdict& v);
    enum LeaseOutcome { kTaken, kRefused, kRetry };
    LeaseOutcome evaluate_leases(const bool* limited, Verdict& v);
    void took_from_leases(const std::int64_t* used, Verdict& v);
    std::int64_t settle_cost(std::int64_t& in, std::int64_t& out, bool client_aborted);
    // What the reservation counted beyond the call's real use: micro-USD and tokens.
    struct Overcount {
        std::int64_t budget, tokens;
    };
    Overcount overcount(std::int64_t in, std::int64_t out, std::int64_t cost) const {
        return {worst_micro_ - cost, est_input_ + max_output_ - in - out};
    }
    // `on_loop`: called on the event loop (settle_deferred), which queues its rows without a lock.
    void queue_spend(std::int64_t in, std::int64_t out, std::int64_t cost, bool client_aborted, std::int64_t now, bool on_loop);
    void queue_refused(std::int64_t now, bool on_loop);  // a refused call: its row only, no counters to adjust
    void queue_row(SpendRow&& row, bool on_loop) const;
    std::string redacted_list() const;
};

// Up to `most` counter adjustments (DECRBY commands) to send: idle leases going back, then the
// summed settlements; removed from what the worker holds.
std::vector<std::vector<std::string>> drain_settlements(std::size_t most);

}  // namespace asg
