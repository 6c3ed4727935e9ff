// One event loop pass's reservations as one MULTI/EXEC, and the cutting of its reply.
#include "gateway/reservation_batch.hpp"

#include <algorithm>

namespace asg {

namespace {
ReservationBatch* g_open = nullptr;
std::vector<ReservationBatch*> g_spare;  // released batches, their buffers' capacity kept
}  // namespace

void ReservationBatch::add(const CounterReservation& reservation, void* waiter) {
    if (starts_.empty()) {
        starts_.push_back(wire_.size());
        append_redis_command(wire_, {"MULTI"});
    }
    std::size_t count = reservation.append_reserve_wire(wire_, starts_);
    parts_.push_back({waiter, replies_, count});
    replies_ += count;
}

std::string_view ReservationBatch::command(std::size_t i) const {
    std::size_t end = i + 1 < starts_.size() ? starts_[i + 1] : wire_.size();
    return std::string_view(wire_).substr(starts_[i], end - starts_[i]);
}

const redisReply* ReservationBatch::part(std::size_t i, const redisReply* exec) {
    if (exec == nullptr || exec->type != REDIS_REPLY_ARRAY) return exec;
    const Part& p = parts_[i];
    view_ = redisReply{};
    view_.type = REDIS_REPLY_ARRAY;
    // A short array (it should not be) leaves the call short too: it reads as malformed.
    view_.elements = p.first < exec->elements ? std::min(p.count, exec->elements - p.first) : 0;
    view_.element = view_.elements ? exec->element + p.first : nullptr;
    return &view_;
}

void ReservationBatch::close() {
    starts_.push_back(wire_.size());
    append_redis_command(wire_, {"EXEC"});
}

void ReservationBatch::clear() {
    wire_.clear();
    starts_.clear();
    parts_.clear();
    replies_ = 0;
}

ReservationBatch& open_batch() {
    if (g_open == nullptr) {
        if (g_spare.empty()) {
            g_open = new ReservationBatch;
        } else {
            g_open = g_spare.back();
            g_spare.pop_back();
        }
    }
    return *g_open;
}

ReservationBatch* take_batch() {
    ReservationBatch* batch = g_open;
    if (batch == nullptr) return nullptr;
    g_open = nullptr;
    if (batch->empty()) {
        release_batch(batch);
        return nullptr;
    }
    batch->close();
    return batch;
}

void release_batch(ReservationBatch* batch) {
    if (batch == nullptr) return;
    batch->clear();
    if (g_spare.size() < 64) {
        g_spare.push_back(batch);
    } else {
        delete batch;
    }
}

}  // namespace asg
