// A gateway call's reservation commands and the reading of their replies.
#include "gateway/counter_reservation.hpp"

#include <charconv>
#include <stdexcept>

#include "gateway/reservation_reply.hpp"

namespace asg {

namespace {

constexpr const char* kMinuteTtlMs = "120000";   // a minute's counters outlive their minute
constexpr const char* kMonthTtlS = "3456000";    // a month's budget counter: 40 days

// A GET's string as an integer (nil: 0); false when it is not one.
bool integer_of(const redisReply* r, std::int64_t& out) {
    out = 0;
    if (r->type == REDIS_REPLY_NIL) return true;
    if (r->type != REDIS_REPLY_STRING) return false;
    auto [end, ec] = std::from_chars(r->str, r->str + r->len, out);
    return ec == std::errc() && end == r->str + r->len;
}

}  // namespace

void CounterKey::assign(std::initializer_list<std::string_view> parts) {
    size_ = 0;
    for (std::string_view part : parts) {
        if (part.size() > sizeof text_ - size_) throw std::length_error("counter key too long");
        part.copy(text_ + size_, part.size());
        size_ += part.size();
    }
}

void append_redis_command(std::string& wire, std::initializer_list<std::string_view> args) {
    char digits[24];
    auto number = [&](char kind, std::size_t n) {
        wire.push_back(kind);
        wire.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr - digits);
        wire.append("\r\n", 2);
    };
    number('*', args.size());
    for (std::string_view arg : args) {
        number('$', arg.size());
        wire.append(arg);
        wire.append("\r\n", 2);
    }
}

std::string baseline_key(std::string_view budget_key) { return std::string(budget_key) + ":base"; }

RedisCommands CounterReservation::reserve_commands() const {
    RedisCommands commands;
    commands.reserve(10);
    commands.push_back({"MULTI"});
    commands.push_back({"INCRBY", keys_.requests.str(), std::to_string(amount_[0])});
    if (set_ttl_) commands.push_back({"PEXPIRE", keys_.requests.str(), kMinuteTtlMs});
    commands.push_back({"INCRBY", keys_.tokens.str(), std::to_string(amount_[1])});
    if (set_ttl_) commands.push_back({"PEXPIRE", keys_.tokens.str(), kMinuteTtlMs});
    if (keys_.has_budget) {
        commands.push_back({"GET", baseline_key(keys_.budget)});
        commands.push_back({"INCRBY", keys_.budget.str(), std::to_string(amount_[2])});
    }
    commands.push_back({"EXEC"});
    return commands;
}

std::size_t CounterReservation::append_reserve_wire(std::string& wire, std::vector<std::size_t>& starts) const {
    char amounts[3][24];
    std::string_view amount[3];
    for (std::size_t i = 0; i < 3; ++i)
        amount[i] = {amounts[i], static_cast<std::size_t>(std::to_chars(amounts[i], amounts[i] + 24, amount_[i]).ptr - amounts[i])};
    const std::size_t before = starts.size();
    auto command = [&](std::initializer_list<std::string_view> args) {
        starts.push_back(wire.size());
        append_redis_command(wire, args);
    };
    command({"INCRBY", keys_.requests, amount[0]});
    if (set_ttl_) command({"PEXPIRE", keys_.requests, kMinuteTtlMs});
    command({"INCRBY", keys_.tokens, amount[1]});
    if (set_ttl_) command({"PEXPIRE", keys_.tokens, kMinuteTtlMs});
    if (keys_.has_budget) {
        thread_local std::string base;  // its capacity reused
        base.assign(std::string_view(keys_.budget)).append(":base");
        command({"GET", base});
        command({"INCRBY", keys_.budget, amount[2]});
    }
    return starts.size() - before;
}

CounterReservation::Outcome CounterReservation::on_reserved(const redisReply* exec) {
    ReservationReply shape = classify_reservation_reply(exec, keys_.has_budget, set_ttl_);
    ReservationReplyLayout layout = reservation_reply_layout(keys_.has_budget, set_ttl_);
    // What counted: each INCRBY that answered an integer (the others changed nothing).
    if (exec != nullptr && exec->type == REDIS_REPLY_ARRAY) {
        executed_ = true;
        const std::size_t at[3] = {layout.requests, layout.tokens, layout.budget};
        for (std::size_t i = 0; i < 3; ++i)
            counted_[i] = (i < 2 || keys_.has_budget) && at[i] < exec->elements && exec->element[at[i]] != nullptr &&
                          exec->element[at[i]]->type == REDIS_REPLY_INTEGER;
    }
    if (shape == ReservationReply::malformed) return Outcome::malformed;
    used_[0] = exec->element[layout.requests]->integer;
    used_[1] = exec->element[layout.tokens]->integer;
    // The request limit first: a call over it is refused for requests, whatever its tokens.
    if (used_[0] > keys_.rpm) return Outcome::over_requests;
    if (used_[1] > keys_.tpm) return Outcome::over_tokens;
    if (!keys_.has_budget) return Outcome::admitted;
    if (shape == ReservationReply::budget_uninitialized) return Outcome::needs_baseline;
    std::int64_t base = 0;
    if (!integer_of(exec->element[layout.baseline], base)) return Outcome::malformed;
    return decide_budget(base, exec->element[layout.budget]->integer);
}

CounterReservation::Outcome CounterReservation::decide_budget(std::int64_t base, std::int64_t counter) {
    // The counter holds this call's worst case already: what was there before it is the rest.
    budget_before_ = base + counter - amount_[2];
    return base + counter > keys_.budget_micro ? Outcome::over_budget : Outcome::admitted;
}

RedisCommands CounterReservation::baseline_commands(std::int64_t spent_micro) const {
    std::string base = baseline_key(keys_.budget);
    return {{"SET", base, std::to_string(spent_micro), "NX", "EX", kMonthTtlS},
            {"EXPIRE", keys_.budget.str(), kMonthTtlS},
            {"MULTI"},
            {"GET", base},
            {"GET", keys_.budget.str()},
            {"EXEC"}};
}

CounterReservation::Outcome CounterReservation::on_baseline(const redisReply* exec) {
    if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY || exec->elements != 2 || exec->element[0] == nullptr ||
        exec->element[1] == nullptr)
        return Outcome::malformed;
    std::int64_t base = 0, counter = 0;
    if (exec->element[0]->type != REDIS_REPLY_STRING || !integer_of(exec->element[0], base) ||
        !integer_of(exec->element[1], counter))
        return Outcome::malformed;
    return decide_budget(base, counter);
}

RedisCommands CounterReservation::undo_commands() {
    if (!counts_anything()) return {};
    RedisCommands commands = {{"MULTI"}};
    const CounterKey* keys[3] = {&keys_.requests, &keys_.tokens, &keys_.budget};
    for (std::size_t i = 0; i < 3; ++i) {
        if (counted_[i] && amount_[i] != 0) commands.push_back({"DECRBY", keys[i]->str(), std::to_string(amount_[i])});
        counted_[i] = false;
    }
    commands.push_back({"EXEC"});
    return commands.size() > 2 ? commands : RedisCommands{};
}

std::size_t CounterReservation::settle_decrements(std::int64_t real_tokens, std::int64_t real_micro, bool same_minute,
                                                  bool same_month, Decrement out[2]) {
    std::size_t n = 0;
    // The request stays counted; the tokens and the cost are what the call really used. A
    // minute or month that has ended needs nothing back (its counters no longer decide anything).
    if (counted_[1] && same_minute && amount_[1] != real_tokens) out[n++] = {keys_.tokens, amount_[1] - real_tokens};
    if (counted_[2] && same_month && amount_[2] != real_micro) out[n++] = {keys_.budget, amount_[2] - real_micro};
    counted_[0] = counted_[1] = counted_[2] = false;
    return n;
}

RedisCommands CounterReservation::settle_commands(std::int64_t real_tokens, std::int64_t real_micro, bool same_minute,
                                                  bool same_month) {
    Decrement decrements[2];
    std::size_t n = settle_decrements(real_tokens, real_micro, same_minute, same_month, decrements);
    RedisCommands commands;
    for (std::size_t i = 0; i < n; ++i)
        commands.push_back({"DECRBY", std::string(decrements[i].key), std::to_string(decrements[i].amount)});
    return commands;
}

}  // namespace asg
