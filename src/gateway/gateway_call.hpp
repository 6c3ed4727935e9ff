// One call through the governed gateway: the governance decision on the event loop (kill switch,
// model, data_class, guardrails, body rewrite), the per-call reservation of rate limits and budget
// in Redis (counter_reservation.hpp; the glue's asynchronous connection carries the commands this
// produces, a pool thread reads a month's spend when its budget needs a baseline), usage metering
// while the answer streams, and settlement at the end.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "asgard.h"
#include "gateway/answer_rewrite.hpp"
#include "gateway/counter_reservation.hpp"
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
    // What the call waits for before it is decided (status 0 then means nothing yet).
    enum class Wait { none, redis, pool } wait = Wait::none;
    std::string log_line;  // a server-side failure for the error log ("" for none)
};

// A month's spend read from PostgreSQL on a pool thread (a copy of what it needs: the call may be
// gone when it comes back).
struct SpendRead {
    std::string project;
    std::int64_t now = 0;
    std::int64_t spent_micro = 0;
    bool failed = false;
    std::string error;  // why it failed, for the error log
    void run() noexcept;  // the thread pool's part
};

class GatewayCall {
public:
    GatewayCall(const asg_principal_t& principal, std::string_view request_id);
    GatewayCall(const GatewayCall&) = delete;
    GatewayCall& operator=(const GatewayCall&) = delete;

    // Governance (no I/O). Fills verdict on rejection.
    // `padded`: simdjson's padding of readable bytes follows the body, which is parsed in place.
    // `header_data_class`: the X-Asgard-Data-Class header ("" when absent); `route`: what the
    // client called (its API family shapes every error of the call).
    void decide(std::string_view body, bool padded, std::string_view header_data_class, Route route, std::int64_t now,
                Verdict& verdict);
    // After decide() let the call on: its reservation. The verdict waits for Redis (commands()).
    void reserve(std::int64_t now, Verdict& verdict);
    // While the verdict waits for Redis for its reservation (not its budget's baseline): the
    // reservation, which joins the event loop pass's batch (reservation_batch.hpp); else nullptr.
    const CounterReservation* batchable() const {
        return state_ == State::asking && !waiting_baseline_ ? &reservation_ : nullptr;
    }
    // What to send to Redis on its own while the verdict waits for it; the last command's reply
    // goes to on_reply() (for a reservation: what its part of a batch's reply is too).
    const RedisCommands& commands() {
        if (commands_.empty() && !waiting_baseline_) commands_ = reservation_.reserve_commands();
        return commands_;
    }
    // The reply (nullptr: not sent, or the connection failed). After on_timeout() it only
    // reconciles: what a late reservation counted is taken back.
    void on_reply(const redisReply* reply, std::int64_t now, Verdict& verdict);
    // Redis did not answer in time: 503; the reply still comes to on_reply().
    void on_timeout(Verdict& verdict);
    bool awaiting_reply() const { return state_ == State::asking || state_ == State::abandoned; }
    // The glue is done with the call while its reply is still to come: the reply only reconciles.
    void abandon();
    // While the verdict waits for the pool: the work to run there, and its result back here.
    SpendRead spend_read() const;
    void on_spend_read(const SpendRead* read, std::int64_t now, Verdict& verdict);  // nullptr: could not run
    // The end of the call (no I/O): settles the reservation and queues the spend and call rows,
    // once (a later end does nothing). `now_ms`: when the call ended (its row's time).
    void end(bool client_aborted, std::int64_t now_ms);
    bool ended() const { return ended_; }

    UsageMeter& meter() { return meter_; }
    // A streamed answer's bytes as they come (metered), and what the client gets of them (the
    // alias as "model"; the usage chunk only when the client asked for it) appended to out.
    // `last`: the stream ends with these bytes.
    void stream_data(const char* data, std::size_t len, bool last, std::string& out);
    // The whole non-streamed answer has been fed (the glue held it back): malformed when it is not a
    // JSON object and must not reach the client, which is answered 502 upstream_malformed instead
    // (the call's row says so; it is charged its reserved worst case, its usage being unknown);
    // rewritten when the client gets rewritten() instead (its "model" the alias it asked for).
    enum class Whole { as_is, malformed, rewritten };
    Whole answer_whole();
    const std::string& rewritten() const { return rewritten_; }
    const std::string& body() const { return body_; }
    const std::string& upstream_url() const { return upstream_url_; }
    const std::string& provider_key() const { return provider_->key; }
    const std::string& provider_host() const { return provider_->host; }
    // The status the client finally got (e.g. 502 from the provider-error page).
    void set_final_status(int status) { final_status_ = status; }

private:
    enum class State {
        deciding,
        asking,      // the reservation's or the baseline's commands are out to Redis
        reading,     // the month's spend is being read for the baseline
        abandoned,   // answered 503 while Redis had not answered; its reply is still to come
        admitted,
        refused,
    };
    void reject(Verdict& v, int status, const std::string& message, const std::string& type, const std::string& code);
    void prepare_keys(std::int64_t now);
    void rate_headers(Verdict& v) const;
    void refuse_rate(bool requests, Verdict& v);
    void refuse_budget(std::int64_t remaining, Verdict& v);
    void redis_unavailable(Verdict& v);
    void apply(CounterReservation::Outcome outcome, Verdict& v);
    void take_back();  // queues the undo of what the reservation counts
    std::int64_t settle_cost(std::int64_t& in, std::int64_t& out, bool client_aborted);
    void queue_spend(std::int64_t in, std::int64_t out, std::int64_t cost, bool client_aborted, std::int64_t now);
    void queue_refused(std::int64_t now);  // a refused call: its row only, no counters to adjust
    std::string redacted_list() const;

    asg_principal_t principal_;
    std::array<char, 33> request_id_;  // NUL-terminated
    std::shared_ptr<const GatewaySnapshot> snapshot_;
    // The call's model and provider, inside snapshot_ (empty ones until the model is known).
    const ModelEntry* model_ = &kNoModel;
    const ProviderEntry* provider_ = &kNoProvider;
    static const ModelEntry kNoModel;
    static const ProviderEntry kNoProvider;
    std::string body_, data_class_, upstream_url_;
    Route route_ = Route::chat;
    StreamRewriter rewriter_;
    std::string rewritten_;
    std::vector<std::string> redacted_;
    State state_ = State::deciding;
    bool proceeded_ = false, counted_ = false, waiting_baseline_ = false;
    bool ended_ = false;
    bool malformed_answer_ = false;  // replaced by a 502 upstream_malformed
    int rejected_status_ = 0, final_status_ = 0;
    std::string rejected_code_;
    std::int64_t est_input_ = 0, max_output_ = 0, worst_micro_ = 0;
    std::int64_t reserved_at_ = 0, reset_ = 0;
    std::uint64_t generation_ = 0;  // the Redis connection's generation the counters were taken on
    ReservationKeys keys_;
    CounterReservation reservation_;
    RedisCommands commands_;
    UsageMeter meter_;
};

}  // namespace asg
