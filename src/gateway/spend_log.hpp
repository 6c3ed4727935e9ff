// The worker's queue of gateway spend and call rows, and its flush to PostgreSQL: one spend
// upsert per (day, project, key, model) and one hash-chained gateway_calls row per call, in one
// transaction, the call rows sent with binary COPY.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/gateway_snapshot.hpp"

namespace asg {

// One call's record. Built without allocating in the common case: the model name stays inside
// its snapshot, which the queue keeps alive (one reference per snapshot, not per row).
struct SpendRow {
    std::int64_t at_ms;  // when the call ended (its UTC day is the spend's day)
    std::string project;
    const std::string* model;
    std::array<char, 33> request_id;  // NUL-terminated
    std::string data_class, outcome;
    std::int64_t token_id, input_tokens, output_tokens, cost_micro;
    int status;
    bool spend;            // false: a refused call, logged only
    std::string redacted;  // detectors whose findings were redacted, comma-separated
    std::uint32_t spool_segment = 0;  // the call spool's segment holding the row (0: none); set when queued
};

// Queues a row from the event loop: no lock per row (and its record in the call spool). Past the
// queue's limit the row is lost, and counted: the next flush reports it. `snapshot` holds the
// row's model name. The rows join the queue when the event loop hands
// them over (hand_over_loop_rows), before each flush.
void queue_spend_row_from_loop(SpendRow&& row, const std::shared_ptr<const GatewaySnapshot>& snapshot);
void hand_over_loop_rows();

// Writes the queued rows (blocking; thread pool). Returns "" or what went wrong; rows PostgreSQL
// could not take for want of a connection are kept for the next flush. Each queued row is in the
// worker's call spool too (call_spool.hpp) until it is written.
std::string flush_gateway_spend();

// Replays the spool files of workers that are gone (thread pool, after a flush): their rows whose
// request id gateway_calls does not hold yet are written, and only those rows' spend is added, in
// the same transaction. Returns "" or one line per file replayed; `failed` when something went
// wrong (a file not replayed, kept for the next try, or torn records skipped).
std::string replay_call_spools(bool& failed);

// The UTC day (YYYY-MM-DD) and month (YYYY-MM) of a millisecond timestamp.
const std::string& utc_day(std::int64_t now_ms);
const std::string& utc_month(std::int64_t now_ms);

}  // namespace asg
