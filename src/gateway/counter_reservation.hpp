// One gateway call's reservation in Redis, as commands and the reading of their replies (no I/O):
// one MULTI/EXEC adds the call's worst case to its key's request and token counters of the minute
// and to its project's budget counter of the month, and the totals it answers decide the call;
// a refusal takes all of it back in one MULTI/EXEC, the end of a served call gives back what it
// did not use. A month's budget is the counter plus a baseline (`<counter>:base`) that the first
// call of the month sets from PostgreSQL's spend record with SET NX: until the baseline exists no
// call is admitted against the budget, and every reservation made before it stays counted.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

namespace asg {

using RedisCommands = std::vector<std::vector<std::string>>;

// A Redis counter's name held inline, so that naming a call's counters allocates nothing.
class CounterKey {
public:
    // Concatenates the parts; throws std::length_error past the inline capacity.
    void assign(std::initializer_list<std::string_view> parts);
    operator std::string_view() const { return {text_, size_}; }
    std::string str() const { return std::string(text_, size_); }

private:
    char text_[120];
    std::size_t size_ = 0;
};

struct ReservationKeys {
    CounterKey requests, tokens, budget;  // budget: only with has_budget
    bool has_budget = false;
    std::int64_t rpm = 0, tpm = 0, budget_micro = 0;  // the limits
};

class CounterReservation {
public:
    enum class Outcome {
        admitted,
        over_requests,
        over_tokens,
        over_budget,
        needs_baseline,  // the month's budget has no baseline yet: read the spend, then baseline_commands()
        malformed,       // a reply that is not what the commands answer (an error inside EXEC, ...)
    };

    CounterReservation() = default;
    // `set_ttl`: give the minute's counters their expiry. Every worker does in its first
    // reservation of a minute for a key (the one that may create them), so the later ones need not.
    CounterReservation(const ReservationKeys& keys, std::int64_t tokens, std::int64_t micro_usd, bool set_ttl = true)
        : keys_(keys), amount_{1, tokens, micro_usd}, set_ttl_(set_ttl) {}

    // MULTI, INCRBY requests[, PEXPIRE], INCRBY tokens[, PEXPIRE][, GET baseline, INCRBY budget], EXEC.
    RedisCommands reserve_commands() const;
    // The same commands without MULTI and EXEC, appended to `wire` in Redis's protocol (one batch's
    // transaction carries several calls' reservations: reservation_batch.hpp). Each command's start
    // goes to `starts`; returns how many commands (= the elements of EXEC's reply that are its).
    std::size_t append_reserve_wire(std::string& wire, std::vector<std::size_t>& starts) const;
    // EXEC's reply to reserve_commands(): what it counted, and the verdict.
    Outcome on_reserved(const redisReply* exec);
    // Sets the baseline unless another call did first (SET NX), then reads the budget's total:
    // SET base NX EX, EXPIRE counter, MULTI, GET base, GET counter, EXEC.
    RedisCommands baseline_commands(std::int64_t spent_micro) const;
    // EXEC's reply to baseline_commands(): admitted, over_budget or malformed.
    Outcome on_baseline(const redisReply* exec);

    // Everything this reservation still counts, taken back in one MULTI/EXEC (empty: nothing counted).
    RedisCommands undo_commands();
    // A served call's end: what its worst case counted beyond its real use goes back.
    // `same_minute`/`same_month`: whether the counters it reserved in are still the current ones.
    RedisCommands settle_commands(std::int64_t real_tokens, std::int64_t real_micro, bool same_minute, bool same_month);
    // The same as the counters and amounts to decrement (no allocation): returns how many of `out`.
    struct Decrement {
        std::string_view key;
        std::int64_t amount;
    };
    std::size_t settle_decrements(std::int64_t real_tokens, std::int64_t real_micro, bool same_minute, bool same_month,
                                  Decrement out[2]);

    // The counters' totals EXEC answered (the request and token counters after this call's
    // addition; the budget's total before it, baseline included), for headers and messages.
    std::int64_t requests_used() const { return used_[0]; }
    std::int64_t tokens_used() const { return used_[1]; }
    std::int64_t budget_left() const { return keys_.budget_micro - budget_before_; }
    bool counts_anything() const { return counted_[0] || counted_[1] || counted_[2]; }
    // Whether EXEC ran (its reply was an array): the minute's counters have their expiry then.
    bool executed() const { return executed_; }

private:
    Outcome decide_budget(std::int64_t base, std::int64_t counter);

    ReservationKeys keys_;
    std::int64_t amount_[3] = {0, 0, 0};  // requests, tokens, micro-USD
    bool set_ttl_ = true;
    bool counted_[3] = {false, false, false};
    std::int64_t used_[2] = {0, 0};
    std::int64_t budget_before_ = 0;
    bool executed_ = false;
};

// Appends one command in Redis's protocol (RESP arrays of bulk strings).
void append_redis_command(std::string& wire, std::initializer_list<std::string_view> args);

// The key of a budget counter's baseline.
std::string baseline_key(std::string_view budget_key);

}  // namespace asg
