// Counter leases: a worker reserves from what it took ahead from a Redis counter, and the fleet's
// leases and reservations together never pass the counter's limit.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gateway/counter_leases.hpp"

using asg::CounterLeases;
using asg::CounterNeed;

namespace {

const std::string kKey = "asgard:rl:t:7:29000000";
std::int64_t g_used[8];  // what take_all reports of each counter

// A Redis counter as the MULTI..EXEC sees it: INCRBY, then the caller's DECRBY of what passed the limit.
struct FakeCounter {
    std::int64_t value = 0;
    std::int64_t incrby(std::int64_t n) { return value += n; }
};

// Asks for a top-up and applies Redis's answer, as reserve_commands/reserve_reply do.
void top_up(CounterLeases& leases, FakeCounter& redis, const CounterNeed& need, const std::string& epoch = "") {
    std::int64_t asked = leases.top_up(need, false);
    std::int64_t total = redis.incrby(asked);
    std::int64_t over = leases.grant(need, asked, total, epoch, 1000);
    redis.incrby(-over);
}

void first_contact_asks_for_exactly_the_need(void**) {
    CounterLeases leases;
    CounterNeed need{kKey, 100, 1000000};
    assert_int_equal(leases.top_up(need, false), 100);
}

void a_lease_then_covers_many_calls_without_redis(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 100, 1000000};
    std::uint64_t serial = 0;
    top_up(leases, redis, need);
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    top_up(leases, redis, need);  // second contact: 256 calls' worth
    assert_int_equal(redis.value, 100 + 256 * 100);
    for (int i = 0; i < 256; ++i) assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    assert_false(leases.take_all(&need, 1, 1000, &serial, g_used));
    assert_int_equal(leases.used(kKey), 257 * 100);
    assert_int_equal(g_used[0], 257 * 100);  // reported by a take that found the lease short too
}

void a_grant_never_passes_the_limit(void**) {
    CounterLeases leases;
    FakeCounter redis;
    redis.value = 950;  // other nodes already used 950 of 1000
    CounterNeed need{kKey, 100, 1000};
    std::uint64_t serial = 0;
    top_up(leases, redis, need);
    assert_int_equal(redis.value, 1000);
    assert_int_equal(leases.available(kKey), 50);  // the part that fit is kept for smaller calls
    assert_false(leases.take_all(&need, 1, 1000, &serial, g_used));
    CounterNeed small{kKey, 50, 1000};
    assert_true(leases.take_all(&small, 1, 1000, &serial, g_used));
}

void near_the_limit_a_lease_is_no_bigger_than_the_call(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 1, 3};  // --rpm 3
    std::uint64_t serial = 0;
    for (int call = 0; call < 3; ++call) {
        top_up(leases, redis, need);
        assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
        assert_int_equal(leases.used(kKey), call + 1);
    }
    top_up(leases, redis, need);
    assert_false(leases.take_all(&need, 1, 1000, &serial, g_used));
    assert_int_equal(redis.value, 3);
}

void concurrent_calls_ask_for_one_lease_not_one_each(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 1, 600};  // --rpm 600
    std::uint64_t serial = 0;
    top_up(leases, redis, need);
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    // 20 calls find the lease empty before Redis has answered any of them.
    std::vector<std::int64_t> asks;
    for (int i = 0; i < 20; ++i) asks.push_back(leases.top_up(need, false));
    assert_true(asks[0] > 1);
    std::int64_t asked = 0;
    for (std::int64_t a : asks) asked += a;
    assert_true(asked - 20 <= 600 / 8);  // beyond their own needs, together at most 1/8 of the limit
    for (std::int64_t asked : asks) {
        std::int64_t over = leases.grant(need, asked, redis.incrby(asked), "", 1000);
        redis.incrby(-over);
        assert_int_equal(over, 0);
        assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    }
    assert_true(redis.value <= 600);
}

void an_abandoned_ask_no_longer_holds_back_the_next_lease(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 1, 600};
    std::uint64_t serial = 0;
    top_up(leases, redis, need);
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    std::int64_t asked = leases.top_up(need, false);
    leases.cancel(kKey, asked);  // the call timed out; its answer will not be applied
    assert_int_equal(leases.top_up(need, false), asked);
}

void take_all_takes_every_need_or_none(void**) {
    CounterLeases leases;
    FakeCounter requests, tokens;
    const std::string rate_key = "r", token_key = "t";
    CounterNeed needs[2] = {{rate_key, 1, 100}, {token_key, 600, 1000}};
    std::uint64_t serials[2] = {0, 0};
    top_up(leases, requests, needs[0]);
    top_up(leases, tokens, needs[1]);
    assert_true(leases.take_all(needs, 2, 1000, serials, g_used));
    top_up(leases, requests, needs[0]);
    top_up(leases, tokens, needs[1]);  // only 400 of the 600 tokens fit under the limit
    std::int64_t rate_left = leases.available(rate_key);
    assert_false(leases.take_all(needs, 2, 1000, serials, g_used));
    assert_int_equal(leases.available(rate_key), rate_left);  // the request was not taken either
}

void a_settlement_goes_back_to_the_lease_it_came_from_only(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 100, 1000000};
    std::uint64_t serial = 0;
    top_up(leases, redis, need, "epoch-1");
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    assert_true(leases.give_back(kKey, 60, serial));
    assert_int_equal(leases.available(kKey), 60);
    // The counter was rebuilt (a new epoch): the old lease is void, and so is a late give-back.
    top_up(leases, redis, need, "epoch-2");
    assert_false(leases.give_back(kKey, 60, serial));
}

void a_changed_limit_sends_the_lease_back(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 10, 1000000};
    std::uint64_t serial = 0;
    top_up(leases, redis, need);
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    top_up(leases, redis, need);  // second contact: 256 calls' worth
    assert_true(leases.take_all(&need, 1, 1000, &serial, g_used));
    std::int64_t held = leases.available(kKey);
    assert_true(held > 0);
    CounterNeed lowered{kKey, 10, 500};
    assert_int_equal(leases.top_up(lowered, false), 10);  // starts over, exactly
    auto commands = leases.release_idle(1000, 1000, 16);
    assert_int_equal(commands.size(), 1);
    assert_string_equal(commands[0][0].c_str(), "DECRBY");
    assert_string_equal(commands[0][2].c_str(), std::to_string(held).c_str());
}

void idle_leases_go_back_and_busy_ones_stay(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 10, 1000000};
    top_up(leases, redis, need);  // granted at t = 1000
    assert_int_equal(leases.release_idle(1500, 1000, 16).size(), 0);
    auto commands = leases.release_idle(2500, 1000, 16);
    assert_int_equal(commands.size(), 1);
    assert_string_equal(commands[0][1].c_str(), kKey.c_str());
    assert_int_equal(leases.available(kKey), 0);
}

void nothing_held_is_trusted_after_redis_is_lost(void**) {
    CounterLeases leases;
    FakeCounter redis;
    CounterNeed need{kKey, 10, 1000000};
    top_up(leases, redis, need);
    leases.forget_all();
    std::uint64_t serial = 0;
    assert_false(leases.take_all(&need, 1, 1000, &serial, g_used));
    assert_int_equal(leases.release_idle(99999, 0, 16).size(), 0);  // nothing to give back either
}

// Several workers on one counter, calls of random sizes, settlements and idle returns: what the
// workers have taken never passes the limit, and when all is given back the counter holds exactly
// what was consumed.
void many_workers_never_pass_the_limit(void**) {
    std::mt19937 random(42);
    const std::int64_t limit = 50000;
    FakeCounter redis;
    std::vector<CounterLeases> workers(4);
    std::int64_t consumed = 0;
    for (int step = 0; step < 20000; ++step) {
        CounterLeases& w = workers[random() % workers.size()];
        CounterNeed need{kKey, 1 + static_cast<std::int64_t>(random() % 400), limit};
        std::int64_t now = step;
        std::uint64_t serial = 0;
        if (!w.take_all(&need, 1, now, &serial, g_used)) {
            std::int64_t asked = w.top_up(need, false);
            std::int64_t over = w.grant(need, asked, redis.incrby(asked), "", now);
            redis.incrby(-over);
            if (!w.take_all(&need, 1, now, &serial, g_used)) continue;  // refused
        }
        std::int64_t spent = need.amount - static_cast<std::int64_t>(random() % (need.amount + 1));
        consumed += spent;
        if (need.amount > spent && !w.give_back(kKey, need.amount - spent, serial)) redis.incrby(-(need.amount - spent));
        assert_true(redis.value <= limit);
        assert_true(consumed <= limit);
        if (step % 97 == 0)
            for (auto& idle : workers)
                for (auto& c : idle.release_idle(now, 50, 16)) redis.incrby(-std::stoll(c[2]));
    }
    for (auto& w : workers)
        for (auto& c : w.release_idle(1 << 30, 0, 16)) redis.incrby(-std::stoll(c[2]));
    assert_int_equal(redis.value, consumed);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_contact_asks_for_exactly_the_need),
        cmocka_unit_test(a_lease_then_covers_many_calls_without_redis),
        cmocka_unit_test(a_grant_never_passes_the_limit),
        cmocka_unit_test(near_the_limit_a_lease_is_no_bigger_than_the_call),
        cmocka_unit_test(concurrent_calls_ask_for_one_lease_not_one_each),
        cmocka_unit_test(an_abandoned_ask_no_longer_holds_back_the_next_lease),
        cmocka_unit_test(take_all_takes_every_need_or_none),
        cmocka_unit_test(a_settlement_goes_back_to_the_lease_it_came_from_only),
        cmocka_unit_test(a_changed_limit_sends_the_lease_back),
        cmocka_unit_test(idle_leases_go_back_and_busy_ones_stay),
        cmocka_unit_test(nothing_held_is_trusted_after_redis_is_lost),
        cmocka_unit_test(many_workers_never_pass_the_limit),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
