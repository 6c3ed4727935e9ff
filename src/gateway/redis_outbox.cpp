// The worker's queue of Redis commands sent without waiting for an answer.
#include "gateway/redis_outbox.hpp"

#include <deque>
#include <map>

namespace asg {

namespace {
std::deque<std::vector<std::string>> g_outbox;        // transactions, in order
std::map<std::string, std::int64_t> g_decrements;     // plain DECRBYs (settlements), summed per key
std::uint64_t g_generation = 0;
constexpr std::size_t kMostQueued = 100000;  // past this (Redis away a long time) the oldest go
}  // namespace

void outbox_push(RedisCommands&& commands, std::uint64_t generation) {
    if (generation != g_generation) return;
    bool in_multi = false;
    for (auto& command : commands) {
        if (command[0] == "MULTI") in_multi = true;
        if (!in_multi && command[0] == "DECRBY" && command.size() == 3) {
            g_decrements[command[1]] += std::stoll(command[2]);  // the calls of one loop pass send one
            continue;
        }
        if (command[0] == "EXEC") in_multi = false;
        g_outbox.push_back(std::move(command));
    }
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
    while (!g_decrements.empty() && out.size() < most) {
        auto it = g_decrements.begin();
        if (it->second != 0) out.push_back({"DECRBY", it->first, std::to_string(it->second)});
        g_decrements.erase(it);
    }
    return out;
}

void counters_lost() {
    g_outbox.clear();
    g_decrements.clear();
    ++g_generation;
}

std::uint64_t counter_generation() { return g_generation; }

}  // namespace asg
