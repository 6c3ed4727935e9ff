// The worker's queue of Redis commands sent without waiting for an answer.
#include "gateway/redis_outbox.hpp"

#include <deque>
#include <map>

namespace asg {

namespace {
std::deque<std::vector<std::string>> g_outbox;        // transactions, in order
std::map<std::string, std::int64_t, std::less<>> g_decrements;     // plain DECRBYs (settlements), summed per key
std::map<std::string, std::int64_t> g_take_backs;     // the DECRBYs of refusals' MULTI..EXECs, summed per key

// A MULTI, DECRBYs, EXEC (a refusal's take-back): those of one pass go out as one transaction.
bool only_decrements(const RedisCommands& commands) {
    if (commands.size() < 3 || commands.front()[0] != "MULTI" || commands.back()[0] != "EXEC") return false;
    for (std::size_t i = 1; i + 1 < commands.size(); ++i)
        if (commands[i].size() != 3 || commands[i][0] != "DECRBY") return false;
    return true;
}
std::uint64_t g_generation = 0;
constexpr std::size_t kMostQueued = 100000;  // past this (Redis away a long time) the oldest go
}  // namespace

void outbox_push(RedisCommands&& commands, std::uint64_t generation) {
    if (generation != g_generation) return;
    if (only_decrements(commands)) {
        for (std::size_t i = 1; i + 1 < commands.size(); ++i) g_take_backs[commands[i][1]] += std::stoll(commands[i][2]);
        return;
    }
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

void outbox_decrement(std::string_view key, std::int64_t amount, std::uint64_t generation) {
    if (generation != g_generation) return;
    auto it = g_decrements.find(key);
    if (it == g_decrements.end()) it = g_decrements.emplace(std::string(key), 0).first;
    it->second += amount;
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
    if (out.empty() && !g_take_backs.empty()) {
        // Every take-back queued since the last one, summed per counter, in one MULTI/EXEC.
        out.push_back({"MULTI"});
        while (!g_take_backs.empty() && out.size() <= most) {
            auto it = g_take_backs.begin();
            if (it->second != 0) out.push_back({"DECRBY", it->first, std::to_string(it->second)});
            g_take_backs.erase(it);
        }
        if (out.size() == 1) out.clear();
        else out.push_back({"EXEC"});
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
    g_take_backs.clear();
    ++g_generation;
}

std::uint64_t counter_generation() { return g_generation; }

}  // namespace asg
