// A worker's leases on the gateway's Redis counters (rate limits and budgets): a call reserves
// from what the worker already holds, so most calls make no Redis round trip. A lease is part of
// the counter taken ahead in one INCRBY that Redis checked against the limit, so the fleet's sum
// of leases and reservations never passes a limit; unused parts go back when idle.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace asg {

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

struct CounterNeed {
    std::string_view key;
    std::int64_t amount;  // what the call needs
    std::int64_t limit;   // the counter's limit now
};

class CounterLeases {
public:
    // How much more to ask Redis for so that `need` can be taken: 0 when the lease covers it; the
    // exact shortfall on first contact; later up to 256 calls' worth, at most 1/8 of the headroom
    // the counter showed last time (so near a limit a lease is no bigger than one call).
    // With `refill`, also when the lease covers the need but is below half its usual size (the
    // call goes to Redis for another counter anyway). Asks still unanswered count against the
    // 1/8 share, so concurrent calls cannot together lease a counter up to its limit. The
    // amount returned counts as asked until grant() or cancel() sees it.
    std::int64_t top_up(const CounterNeed& need, bool refill);
    // An ask that will get no grant() (the call gave up, or must start over).
    void cancel(std::string_view key, std::int64_t requested);
    // Records Redis's answer to INCRBY key requested: the counter's total afterwards. Returns what
    // to give back (DECRBY) because it passed the limit; the rest joins the lease. `epoch` tags
    // budget counters: a different one means the counter was rebuilt, and the old lease is void.
    std::int64_t grant(const CounterNeed& need, std::int64_t requested, std::int64_t total, std::string_view epoch,
                       std::int64_t now_ms);
    // Takes every need from the leases, or none of them. `serials` (count of them) receives the
    // incarnation of each lease taken from, for give_back; `used` (count of them) what used()
    // says of each counter afterwards, taken or not.
    bool take_all(const CounterNeed* needs, std::size_t count, std::int64_t now_ms, std::uint64_t* serials,
                  std::int64_t* used);
    // What the worker may still take, and the counter's total as last seen less that.
    std::int64_t available(std::string_view key) const;
    std::int64_t used(std::string_view key) const;
    // A settled call's over-reservation back into the lease it was taken from; false when that
    // lease is gone or was renewed since (the caller then gives it back to Redis).
    bool give_back(std::string_view key, std::int64_t amount, std::uint64_t serial);
    // Up to `most` DECRBY commands returning leases unused for idle_ms (and leases voided by a new
    // limit); the rest wait for the next call. With idle_ms 0, every lease (worker exit).
    std::vector<std::vector<std::string>> release_idle(std::int64_t now_ms, std::int64_t idle_ms, std::size_t most);
    // Redis went away: its counters may be gone with it, so nothing held is trusted.
    void forget_all();

private:
    struct Lease {
        std::int64_t available = 0;
        std::int64_t seen_total = -1;  // the counter's total after our last INCRBY; -1: never seen
        std::int64_t limit = 0;        // the limit the lease was taken under
        std::int64_t last_used_ms = 0;
        std::int64_t asked = 0;    // asked of Redis, not answered yet
        std::uint64_t serial = 0;  // this incarnation of the lease
        std::string epoch;
    };
    Lease& lease_for(const CounterNeed& need);
    static std::int64_t used_of(const Lease& lease) {
        return lease.seen_total < 0 ? 0 : lease.seen_total - lease.available;
    }
    void give_back_to_redis(std::string_view key, std::int64_t amount);

    mutable std::mutex mutex_;
    std::uint64_t next_serial_ = 0;
    std::map<std::string, Lease, std::less<>> leases_;
    std::map<std::string, std::int64_t, std::less<>> returns_;  // voided leases to give back at the next release
};

// The worker's leases.
CounterLeases& counter_leases();

}  // namespace asg
