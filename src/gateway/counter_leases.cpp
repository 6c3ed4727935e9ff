// The worker's leases on Redis counters: sizing, granting, taking, giving back.
#include "gateway/counter_leases.hpp"

#include <algorithm>
#include <stdexcept>

namespace asg {

namespace {
constexpr std::int64_t kCallsPerLease = 256;
constexpr std::int64_t kHeadroomShare = 8;
}  // namespace

void CounterKey::assign(std::initializer_list<std::string_view> parts) {
    size_ = 0;
    for (std::string_view part : parts) {
        if (part.size() > sizeof text_ - size_) throw std::length_error("counter key too long");
        part.copy(text_ + size_, part.size());
        size_ += part.size();
    }
}

CounterLeases& counter_leases() {
    static CounterLeases leases;
    return leases;
}

CounterLeases::Lease& CounterLeases::lease_for(const CounterNeed& need) {
    auto it = leases_.find(need.key);
    if (it == leases_.end()) {
        it = leases_.emplace(std::string(need.key), Lease{}).first;
        it->second.serial = ++next_serial_;
    }
    Lease& lease = it->second;
    if (lease.seen_total >= 0 && lease.limit != need.limit) {
        // The operator changed the limit: what was taken under the old one goes back.
        if (lease.available > 0) give_back_to_redis(need.key, lease.available);
        lease = Lease{};
        lease.serial = ++next_serial_;
    }
    lease.limit = need.limit;
    return lease;
}

std::int64_t CounterLeases::top_up(const CounterNeed& need, bool refill) {
    std::lock_guard<std::mutex> lock(mutex_);
    Lease& lease = lease_for(need);
    bool covered = lease.available >= need.amount;
    if (covered && (!refill || lease.asked > 0 || lease.seen_total < 0 ||
                    lease.available >= need.amount * kCallsPerLease / 2))
        return 0;
    std::int64_t missing = covered ? 0 : need.amount - lease.available;
    std::int64_t ask = missing;
    if (lease.seen_total >= 0) {
        // Asks already on their way count against the share: together they stay within 1/8.
        std::int64_t headroom = std::max<std::int64_t>(0, need.limit - lease.seen_total - missing);
        std::int64_t share = std::max<std::int64_t>(0, headroom / kHeadroomShare - lease.asked);
        ask += std::min(need.amount * (kCallsPerLease - 1), share);
    }
    lease.asked += ask;
    return ask;
}

void CounterLeases::cancel(std::string_view key, std::int64_t requested) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(key);
    if (it != leases_.end()) it->second.asked = std::max<std::int64_t>(0, it->second.asked - requested);
}

std::int64_t CounterLeases::grant(const CounterNeed& need, std::int64_t requested, std::int64_t total,
                                  std::string_view epoch, std::int64_t now_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    Lease& lease = lease_for(need);
    if (lease.epoch != epoch) {
        lease.available = 0;  // granted from a counter that has since been rebuilt
        lease.epoch = epoch;
        lease.serial = ++next_serial_;
    }
    lease.asked = std::max<std::int64_t>(0, lease.asked - requested);
    std::int64_t over = std::clamp<std::int64_t>(total - need.limit, 0, requested);
    lease.available += requested - over;
    lease.seen_total = total - over;
    lease.last_used_ms = now_ms;
    return over;
}

bool CounterLeases::take_all(const CounterNeed* needs, std::size_t count, std::int64_t now_ms, std::uint64_t* serials,
                             std::int64_t* used) {
    constexpr std::size_t kMost = 8;
    if (count > kMost) throw std::invalid_argument("take_all: too many counters");
    Lease* found[kMost];
    bool covered = true;
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) {
        found[i] = &lease_for(needs[i]);  // map nodes stay put while the lock is held
        covered = covered && found[i]->available >= needs[i].amount;
    }
    for (std::size_t i = 0; i < count; ++i) {
        Lease& lease = *found[i];
        if (covered) {
            lease.available -= needs[i].amount;
            lease.last_used_ms = now_ms;
            serials[i] = lease.serial;
        }
        used[i] = used_of(lease);
    }
    return covered;
}

std::int64_t CounterLeases::available(std::string_view key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(key);
    return it == leases_.end() ? 0 : it->second.available;
}

std::int64_t CounterLeases::used(std::string_view key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(key);
    return it == leases_.end() ? 0 : used_of(it->second);
}

bool CounterLeases::give_back(std::string_view key, std::int64_t amount, std::uint64_t serial) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(key);
    if (it == leases_.end() || it->second.serial != serial) return false;
    it->second.available += amount;
    return true;
}

std::vector<std::vector<std::string>> CounterLeases::release_idle(std::int64_t now_ms, std::int64_t idle_ms,
                                                                 std::size_t most) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = leases_.begin(); it != leases_.end();) {
        if (idle_ms > 0 && (now_ms - it->second.last_used_ms < idle_ms || it->second.asked > 0)) {
            ++it;
            continue;
        }
        if (it->second.available > 0) give_back_to_redis(it->first, it->second.available);
        it = leases_.erase(it);
    }
    std::vector<std::vector<std::string>> commands;
    for (auto it = returns_.begin(); it != returns_.end() && commands.size() < most; it = returns_.erase(it))
        commands.push_back({"DECRBY", it->first, std::to_string(it->second)});
    return commands;
}

void CounterLeases::give_back_to_redis(std::string_view key, std::int64_t amount) {
    auto it = returns_.find(key);
    if (it == returns_.end()) it = returns_.emplace(std::string(key), 0).first;
    it->second += amount;
}

void CounterLeases::forget_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    leases_.clear();
    returns_.clear();
}

}  // namespace asg
