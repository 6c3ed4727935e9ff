// The gateway's per-call reservation, run against an in-memory Redis that executes the exact
// commands the core emits (MULTI/EXEC atomic per connection, commands of different connections
// interleaved at random): never more admitted than a limit allows, counters that come back to
// the real use once every call has settled, no token 429 while a request limit binds, the budget's
// baseline added exactly once however many calls of however many workers ask for it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wire_reply.hpp"
#include "gateway/counter_reservation.hpp"
#include "gateway/reservation_batch.hpp"

using asg::CounterReservation;
using asg::RedisCommands;
using asg::ReservationBatch;
using asg::ReservationKeys;
using Outcome = CounterReservation::Outcome;

namespace {


std::string integer(long long v) { return ":" + std::to_string(v) + "\r\n"; }
std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

// Redis, for the commands the reservation uses. One connection's MULTI queues until its EXEC.
class FakeRedis {
public:
    struct Connection {
        bool in_multi = false;
        std::vector<std::vector<std::string>> queued;
    };

    std::string run(Connection& c, const std::vector<std::string>& cmd) {
        const std::string& verb = cmd[0];
        if (verb == "MULTI") {
            c.in_multi = true;
            c.queued.clear();
            return "+OK\r\n";
        }
        if (verb == "EXEC") {
            c.in_multi = false;
            std::string out = "*" + std::to_string(c.queued.size()) + "\r\n";
            for (const auto& q : c.queued) out += execute(q);
            c.queued.clear();
            return out;
        }
        if (c.in_multi) {
            c.queued.push_back(cmd);
            return "+QUEUED\r\n";
        }
        return execute(cmd);
    }

    long long integer_at(const std::string& key) const {
        auto it = values.find(key);
        return it == values.end() ? 0 : std::stoll(it->second);
    }
    bool has(const std::string& key) const { return values.count(key) > 0; }

    std::map<std::string, std::string> values;

private:
    std::string execute(const std::vector<std::string>& cmd) {
        const std::string& verb = cmd[0];
        if (verb == "INCRBY" || verb == "DECRBY") {
            auto it = values.find(cmd[1]);
            long long v = 0;
            if (it != values.end()) {
                char* end = nullptr;
                v = std::strtoll(it->second.c_str(), &end, 10);
                if (*end != '\0' || it->second.empty()) return "-ERR value is not an integer or out of range\r\n";
            }
            v += (verb == "INCRBY" ? 1 : -1) * std::stoll(cmd[2]);
            values[cmd[1]] = std::to_string(v);
            return integer(v);
        }
        if (verb == "PEXPIRE" || verb == "EXPIRE") return integer(values.count(cmd[1]) ? 1 : 0);
        if (verb == "GET") {
            auto it = values.find(cmd[1]);
            return it == values.end() ? "$-1\r\n" : bulk(it->second);
        }
        if (verb == "SET") {
            bool nx = false;
            for (const auto& a : cmd) nx = nx || a == "NX";
            if (nx && values.count(cmd[1])) return "$-1\r\n";
            values[cmd[1]] = cmd[2];
            return "+OK\r\n";
        }
        fail_msg("the reservation sent a command the fake does not know: %s", verb.c_str());
        return "";
    }
};

ReservationKeys keys_for(long long rpm, long long tpm, bool has_budget, long long budget) {
    ReservationKeys k;
    k.requests.assign({"asgard:rl:r:7:100"});
    k.tokens.assign({"asgard:rl:t:7:100"});
    k.budget.assign({"asgard:budget:proj-1:2026-12"});
    k.has_budget = has_budget;
    k.rpm = rpm;
    k.tpm = tpm;
    k.budget_micro = budget;
    return k;
}

// Sends commands on one connection at once; the last one's reply.
std::string send_all(FakeRedis& redis, FakeRedis::Connection& c, const RedisCommands& commands) {
    std::string last;
    for (const auto& cmd : commands) last = redis.run(c, cmd);
    return last;
}

// ---- one call at a time ----

void a_call_within_its_limits_is_admitted_and_settles_to_its_real_use(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:budget:proj-1:2026-12:base"] = "500";
    CounterReservation r(keys_for(10, 1000, true, 100000), 103, 5000);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::admitted);
    assert_int_equal(r.requests_used(), 1);
    assert_int_equal(r.tokens_used(), 103);
    assert_int_equal(r.budget_left(), 100000 - 500);
    send_all(redis, c, r.settle_commands(14, 132, true, true));
    assert_int_equal(redis.integer_at("asgard:rl:r:7:100"), 1);
    assert_int_equal(redis.integer_at("asgard:rl:t:7:100"), 14);
    assert_int_equal(redis.integer_at("asgard:budget:proj-1:2026-12"), 132);
}

void a_refused_call_takes_back_everything_it_counted(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:budget:proj-1:2026-12:base"] = "99000";
    CounterReservation r(keys_for(10, 1000, true, 100000), 103, 5000);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::over_budget);
    assert_int_equal(r.budget_left(), 1000);
    send_all(redis, c, r.undo_commands());
    assert_int_equal(redis.integer_at("asgard:rl:r:7:100"), 0);
    assert_int_equal(redis.integer_at("asgard:rl:t:7:100"), 0);
    assert_int_equal(redis.integer_at("asgard:budget:proj-1:2026-12"), 0);
    assert_true(r.undo_commands().empty());  // taken back once
}

void the_request_limit_is_named_before_the_token_limit(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:rl:r:7:100"] = "10";
    redis.values["asgard:rl:t:7:100"] = "990";
    CounterReservation r(keys_for(10, 1000, false, 0), 103, 0);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::over_requests);
}

void a_counter_that_is_not_an_integer_is_malformed_and_only_what_counted_goes_back(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:rl:t:7:100"] = "not-a-number";
    CounterReservation r(keys_for(10, 1000, false, 0), 103, 0);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::malformed);
    RedisCommands undo = r.undo_commands();
    assert_int_equal(undo.size(), 3);  // MULTI, DECRBY requests, EXEC
    send_all(redis, c, undo);
    assert_int_equal(redis.integer_at("asgard:rl:r:7:100"), 0);
    assert_string_equal(redis.values["asgard:rl:t:7:100"].c_str(), "not-a-number");
}

void without_a_baseline_the_call_waits_and_its_reservation_stays_counted(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    CounterReservation r(keys_for(10, 1000, true, 100000), 103, 5000);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::needs_baseline);
    assert_int_equal(redis.integer_at("asgard:budget:proj-1:2026-12"), 5000);
    WireReply base(send_all(redis, c, r.baseline_commands(96000)));
    assert_int_equal((int)r.on_baseline(base.reply), (int)Outcome::over_budget);  // 96000 + 5000 > 100000
    assert_int_equal(r.budget_left(), 4000);
    // A second baseline (another worker's, read later) changes nothing.
    CounterReservation late(keys_for(10, 1000, true, 100000), 103, 5000);
    send_all(redis, c, late.baseline_commands(123456));
    assert_string_equal(redis.values["asgard:budget:proj-1:2026-12:base"].c_str(), "96000");
}

void a_reservation_without_the_expiries_reads_the_same_totals(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:budget:proj-1:2026-12:base"] = "500";
    CounterReservation first(keys_for(10, 1000, true, 100000), 103, 5000, true);
    WireReply one(send_all(redis, c, first.reserve_commands()));
    assert_int_equal((int)first.on_reserved(one.reply), (int)Outcome::admitted);
    CounterReservation later(keys_for(10, 1000, true, 100000), 103, 5000, false);
    RedisCommands commands = later.reserve_commands();
    for (const auto& cmd : commands) assert_string_not_equal(cmd[0].c_str(), "PEXPIRE");
    WireReply two(send_all(redis, c, commands));
    assert_int_equal((int)later.on_reserved(two.reply), (int)Outcome::admitted);
    assert_int_equal(later.requests_used(), 2);
    assert_int_equal(later.tokens_used(), 206);
    assert_int_equal(later.budget_left(), 100000 - 500 - 5000);
}

void settling_in_a_later_minute_leaves_the_old_minute_alone(void**) {
    FakeRedis redis;
    FakeRedis::Connection c;
    redis.values["asgard:budget:proj-1:2026-12:base"] = "0";
    CounterReservation r(keys_for(10, 1000, true, 100000), 103, 5000);
    WireReply reply(send_all(redis, c, r.reserve_commands()));
    assert_int_equal((int)r.on_reserved(reply.reply), (int)Outcome::admitted);
    RedisCommands settle = r.settle_commands(14, 132, false, true);
    assert_int_equal(settle.size(), 1);
    assert_string_equal(settle[0][1].c_str(), "asgard:budget:proj-1:2026-12");
}

// ---- many workers on many nodes ----

struct SimCall {
    CounterReservation reservation;
    long long worst_tokens, worst_micro, real_tokens, real_micro;
    enum { waiting, reading, admitted, done } state = waiting;
    int conn;
};

struct Batch {
    RedisCommands commands;
    int call = -1;  // whose reply the last command is; -1: nobody's
    bool baseline = false;
};

struct Totals {
    long long admitted = 0, over_requests = 0, over_tokens = 0, over_budget = 0;
};

// `calls` calls over `conns` connections, each with random worst cases and real use below them.
Totals simulate(unsigned seed, int conns, int calls, long long rpm, long long tpm, long long budget,
                long long spent_before, long long max_worst_tokens) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return (int)std::uniform_int_distribution<int>(0, n - 1)(rng); };
    FakeRedis redis;
    std::vector<FakeRedis::Connection> connections(conns);
    std::vector<std::deque<std::string>> wire_of_batch(conns);
    std::vector<std::deque<Batch>> queues(conns);
    std::vector<std::size_t> sent(conns, 0);  // commands of the front batch already run
    std::vector<std::unique_ptr<SimCall>> sim;
    std::vector<int> reads;  // calls whose PostgreSQL read is out
    const ReservationKeys keys = keys_for(rpm, tpm, true, budget);
    long long ended_micro = 0, ended_tokens = 0, admitted_count = 0;
    long long inflight_micro = 0, inflight_tokens = 0;
    Totals totals;
    int started = 0;

    auto check_limits = [&]() {
        assert_true(admitted_count <= rpm);
        assert_true(ended_tokens + inflight_tokens <= tpm);
        assert_true(spent_before + ended_micro + inflight_micro <= budget);
    };
    auto decide = [&](int id, Outcome o) {
        SimCall& c = *sim[id];
        switch (o) {
            case Outcome::admitted:
                c.state = SimCall::admitted;
                ++admitted_count;
                ++totals.admitted;
                inflight_micro += c.worst_micro;
                inflight_tokens += c.worst_tokens;
                check_limits();
                return;
            case Outcome::needs_baseline:
                c.state = SimCall::reading;
                reads.push_back(id);
                return;
            case Outcome::over_requests: ++totals.over_requests; break;
            case Outcome::over_tokens: ++totals.over_tokens; break;
            case Outcome::over_budget: ++totals.over_budget; break;
            case Outcome::malformed: fail_msg("a malformed reply from the fake"); return;
        }
        c.state = SimCall::done;
        queues[c.conn].push_back({c.reservation.undo_commands()});
    };

    for (;;) {
        std::vector<int> actions;  // 0 start, 1 run a command, 2 end a call, 3 finish a read
        if (started < calls) actions.push_back(0);
        bool any_queued = false;
        for (const auto& q : queues) any_queued = any_queued || !q.empty();
        if (any_queued) actions.insert(actions.end(), {1, 1, 1});
        bool any_admitted = false;
        for (const auto& c : sim) any_admitted = any_admitted || c->state == SimCall::admitted;
        if (any_admitted) actions.push_back(2);
        if (!reads.empty()) actions.push_back(3);
        if (actions.empty()) break;
        int action = actions[pick((int)actions.size())];
        if (action == 0) {
            long long worst_tokens = 1 + pick((int)max_worst_tokens);
            long long worst_micro = 1 + pick(20000);
            auto c = std::make_unique<SimCall>(SimCall{CounterReservation(keys, worst_tokens, worst_micro, pick(2) == 0), worst_tokens,
                                                       worst_micro, 1 + pick((int)worst_tokens), 1 + pick((int)worst_micro),
                                                       SimCall::waiting, pick(conns)});
            queues[c->conn].push_back({c->reservation.reserve_commands(), started, false});
            sim.push_back(std::move(c));
            ++started;
        } else if (action == 1) {
            int k;
            do k = pick(conns); while (queues[k].empty());
            Batch& b = queues[k].front();
            std::string reply = redis.run(connections[k], b.commands[sent[k]]);
            if (++sent[k] < b.commands.size()) continue;
            Batch done = std::move(b);
            queues[k].pop_front();
            sent[k] = 0;
            if (done.call < 0) continue;
            WireReply parsed(reply);
            SimCall& c = *sim[done.call];
            decide(done.call, done.baseline ? c.reservation.on_baseline(parsed.reply) : c.reservation.on_reserved(parsed.reply));
        } else if (action == 2) {
            std::vector<int> live;
            for (std::size_t i = 0; i < sim.size(); ++i)
                if (sim[i]->state == SimCall::admitted) live.push_back((int)i);
            SimCall& c = *sim[live[pick((int)live.size())]];
            c.state = SimCall::done;
            inflight_micro -= c.worst_micro;
            inflight_tokens -= c.worst_tokens;
            ended_micro += c.real_micro;
            ended_tokens += c.real_tokens;
            queues[c.conn].push_back({c.reservation.settle_commands(c.real_tokens, c.real_micro, true, true)});
        } else {
            int at = pick((int)reads.size());
            int id = reads[at];
            reads.erase(reads.begin() + at);
            // PostgreSQL's record: what was spent before, and what calls that ended since wrote.
            queues[sim[id]->conn].push_back({sim[id]->reservation.baseline_commands(spent_before + ended_micro), id, true});
        }
    }
    // Every call settled or refused: the counters hold exactly the real use.
    assert_int_equal(redis.integer_at("asgard:rl:r:7:100"), admitted_count);
    assert_int_equal(redis.integer_at("asgard:rl:t:7:100"), ended_tokens);
    assert_int_equal(redis.integer_at("asgard:budget:proj-1:2026-12") +
                         redis.integer_at("asgard:budget:proj-1:2026-12:base"),
                     spent_before + ended_micro);
    // What is left admits a call that fits in it, once nothing else is in flight.
    long long left = budget - spent_before - ended_micro;
    if (left >= 1 && admitted_count < rpm) {
        FakeRedis::Connection c;
        CounterReservation fits(keys, 1, left);
        WireReply reply(send_all(redis, c, fits.reserve_commands()));
        assert_int_equal((int)fits.on_reserved(reply.reply), (int)Outcome::admitted);
    }
    return totals;
}

void many_workers_never_pass_a_limit_and_settle_back_to_the_real_use(void**) {
    for (unsigned seed = 1; seed <= 80; ++seed) {
        Totals t = simulate(seed, 1 + seed % 12, 300, 100 + seed % 50, 200000, 400000, seed % 3 ? 0 : 150000, 4000);
        assert_true(t.admitted > 0);
    }
}

void a_request_limit_binding_never_gives_a_token_429(void**) {
    // tpm covers rpm worst cases many times over: only the request limit may refuse.
    for (unsigned seed = 1; seed <= 40; ++seed) {
        Totals t = simulate(seed, 16, 300, 100, 1000000, 1LL << 40, 0, 4100);
        assert_int_equal(t.over_tokens, 0);
        assert_int_equal(t.admitted, 100);  // exactly the limit: a refusal for requests counts nothing
        assert_int_equal(t.over_requests, 200);
    }
}

// ---- one event loop pass's reservations in one MULTI/EXEC ----

// A command in Redis's protocol, read back into its arguments (a command is an array of bulk strings).
std::vector<std::string> parsed_command(std::string_view wire) {
    WireReply r{std::string(wire)};
    assert_int_equal(r.reply->type, REDIS_REPLY_ARRAY);
    std::vector<std::string> args;
    for (std::size_t i = 0; i < r.reply->elements; ++i) args.emplace_back(r.reply->element[i]->str, r.reply->element[i]->len);
    return args;
}

struct Seen {
    Outcome outcome;
    long long requests, tokens, budget_left;
};

void a_batch_decides_every_call_as_its_own_transactions_would(void**) {
    // Same keys, amounts that cross the token and the budget limits part-way through the batch,
    // expiries on some: each call's part of the one EXEC reads as its own transaction in the same order.
    const long long tokens[] = {103, 90, 5, 400, 2};
    const long long micro[] = {5000, 4000, 2000, 100, 700};
    FakeRedis alone, batched;
    alone.values["asgard:budget:proj-1:2026-12:base"] = batched.values["asgard:budget:proj-1:2026-12:base"] = "90000";
    FakeRedis::Connection c1, c2;
    std::vector<Seen> expected;
    std::vector<CounterReservation> one, many;
    for (int i = 0; i < 5; ++i) {
        one.emplace_back(keys_for(4, 200, true, 100000), tokens[i], micro[i], i % 2 == 0);
        many.emplace_back(keys_for(4, 200, true, 100000), tokens[i], micro[i], i % 2 == 0);
    }
    for (auto& r : one) {
        WireReply reply(send_all(alone, c1, r.reserve_commands()));
        Outcome o = r.on_reserved(reply.reply);
        expected.push_back({o, r.requests_used(), r.tokens_used(), r.budget_left()});
    }
    ReservationBatch& batch = asg::open_batch();
    int waiters[5];
    for (int i = 0; i < 5; ++i) batch.add(many[i], &waiters[i]);
    ReservationBatch* taken = asg::take_batch();
    assert_ptr_equal(taken, &batch);
    assert_null(asg::take_batch());  // a later pass starts afresh
    std::size_t inner = 0;
    for (auto& r : many) inner += r.reserve_commands().size() - 2;
    assert_int_equal(taken->command_count(), inner + 2);  // one MULTI, one EXEC
    std::string last;
    for (std::size_t i = 0; i < taken->command_count(); ++i) {
        std::vector<std::string> command = parsed_command(taken->command(i));
        if (i == 0) assert_string_equal(command[0].c_str(), "MULTI");
        if (i + 1 == taken->command_count()) assert_string_equal(command[0].c_str(), "EXEC");
        last = batched.run(c2, command);
    }
    WireReply exec(last);
    assert_int_equal(taken->size(), 5);
    for (std::size_t i = 0; i < 5; ++i) {
        assert_ptr_equal(taken->waiter(i), &waiters[i]);
        Outcome o = many[i].on_reserved(taken->part(i, exec.reply));
        assert_int_equal((int)o, (int)expected[i].outcome);
        assert_int_equal(many[i].requests_used(), expected[i].requests);
        assert_int_equal(many[i].tokens_used(), expected[i].tokens);
        assert_int_equal(many[i].budget_left(), expected[i].budget_left);
    }
    assert_true(alone.values == batched.values);
    // The mix is what it is meant to be: admitted, then over tokens, over budget, over requests.
    assert_int_equal((int)expected[0].outcome, (int)Outcome::admitted);
    assert_int_equal((int)expected[1].outcome, (int)Outcome::admitted);
    assert_int_equal((int)expected[2].outcome, (int)Outcome::over_budget);
    assert_int_equal((int)expected[3].outcome, (int)Outcome::over_tokens);
    assert_int_equal((int)expected[4].outcome, (int)Outcome::over_requests);
    asg::release_batch(taken);
}

void an_exec_that_failed_as_a_whole_fails_every_call_of_the_batch(void**) {
    CounterReservation a(keys_for(10, 1000, false, 0), 10, 0), b(keys_for(10, 1000, false, 0), 20, 0);
    ReservationBatch& batch = asg::open_batch();
    batch.add(a, nullptr);
    batch.add(b, nullptr);
    ReservationBatch* taken = asg::take_batch();
    WireReply aborted("-EXECABORT Transaction discarded because of previous errors.\r\n");
    assert_int_equal((int)a.on_reserved(taken->part(0, aborted.reply)), (int)Outcome::malformed);
    assert_int_equal((int)b.on_reserved(taken->part(1, aborted.reply)), (int)Outcome::malformed);
    assert_false(a.counts_anything());
    assert_false(b.counts_anything());
    assert_null(taken->part(0, nullptr));  // the connection failed: each call sees no reply
    asg::release_batch(taken);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_call_within_its_limits_is_admitted_and_settles_to_its_real_use),
        cmocka_unit_test(a_refused_call_takes_back_everything_it_counted),
        cmocka_unit_test(the_request_limit_is_named_before_the_token_limit),
        cmocka_unit_test(a_counter_that_is_not_an_integer_is_malformed_and_only_what_counted_goes_back),
        cmocka_unit_test(without_a_baseline_the_call_waits_and_its_reservation_stays_counted),
        cmocka_unit_test(a_reservation_without_the_expiries_reads_the_same_totals),
        cmocka_unit_test(settling_in_a_later_minute_leaves_the_old_minute_alone),
        cmocka_unit_test(many_workers_never_pass_a_limit_and_settle_back_to_the_real_use),
        cmocka_unit_test(a_request_limit_binding_never_gives_a_token_429),
        cmocka_unit_test(a_batch_decides_every_call_as_its_own_transactions_would),
        cmocka_unit_test(an_exec_that_failed_as_a_whole_fails_every_call_of_the_batch),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
