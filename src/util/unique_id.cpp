// Per-thread id state, re-seeded after fork (nginx workers are forked from the master).
#include "util/unique_id.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "util/crypto.hpp"

namespace asg {

namespace {

std::atomic<unsigned> g_fork_generation{0};

void on_fork_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct IdState {
    unsigned generation = ~0u;
    std::uint64_t prefix = 0, key = 0, counter = 0;
};

// splitmix64's finalizer: a bijection on 64-bit values, so distinct counters give distinct ids.
std::uint64_t mix(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void put_hex(char* out, std::uint64_t value) {
    static const char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kHex[value & 15];
}

}  // namespace

void unique_id_hex(char out[33]) {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
    thread_local IdState state;
    unsigned generation = g_fork_generation.load(std::memory_order_relaxed);
    if (state.generation != generation) {
        std::string seed = random_bytes(16);
        std::memcpy(&state.prefix, seed.data(), 8);
        std::memcpy(&state.key, seed.data() + 8, 8);
        state.counter = 0;
        state.generation = generation;
    }
    put_hex(out, state.prefix);
    put_hex(out + 16, mix(state.key + ++state.counter));
    out[32] = '\0';
}

}  // namespace asg
