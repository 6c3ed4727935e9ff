// The worker's queue of Redis commands sent without waiting for an answer.
#include "gateway/redis_outbox.hpp"

#include <deque>

namespace asg {

namespace {
std::deque<std::vector<std::string>> g_outbox;
std::uint64_t g_generation = 0;
constexpr std::size_t kMostQueued = 100000;  // past this (Redis away a long time) the oldest go
}  // namespace

void outbox_push(RedisCommands&& commands, std::uint64_t generation) {
    if (generation != g_generation) return;
    for (auto& command : commands) g_outbox.push_back(std::move(command));
    while (g_outbox.size() > kMostQueued) {
        // Drop whole transactions from the front.
        bool in_multi = g_outbox.front().front() == "MULTI";
        g_outbox.pop_front();
        while (in_multi && !g_outbox.empty()) {
            bool exec = g_outbox.front().front() == "EXEC";
            g_outbox.pop_front();
            if (exec) break;
        }
    }
}

RedisCommands outbox_take(std::size_t most) {
    RedisCommands out;
    bool in_multi = false;
    while (!g_outbox.empty() && (out.size() < most || in_multi)) {
        const std::string& verb = g_outbox.front().front();
        if (verb == "MULTI") in_multi = true;
        if (verb == "EXEC") in_multi = false;
        out.push_back(std::move(g_outbox.front()));
        g_outbox.pop_front();
    }
    return out;
}

void counters_lost() {
    g_outbox.clear();
    ++g_generation;
}

std::uint64_t counter_generation() { return g_generation; }

}  // namespace asg
