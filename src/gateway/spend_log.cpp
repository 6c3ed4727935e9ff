// Spend and call rows: the queue, the spend sums, the call log's hash chain and the COPY to
// PostgreSQL.
#include "gateway/spend_log.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iterator>
#include <mutex>
#include <set>
#include <vector>

#include "gateway/call_spool.hpp"
#include "store/pg_connection.hpp"
#include "util/crypto.hpp"

namespace asg {

namespace {

constexpr std::size_t kMaxQueuedRows = 500000;  // about ten seconds of a busy worker
std::mutex g_spend_mutex;
std::vector<SpendRow> g_spend;
// The snapshots g_spend's rows name their models in, each once; released after the rows are written.
std::vector<std::shared_ptr<const GatewaySnapshot>> g_spend_snapshots;
// The previous batch's vector, emptied: the next flush hands it back to the queue, so the queue's
// memory is reused rather than freshly mapped (and faulted in on the event loop) every second.
std::vector<SpendRow> g_spend_spare;
std::size_t g_spend_dropped = 0;  // rows refused while PostgreSQL was not keeping up
// The event loop's rows since the last hand-over: only that thread touches them.
std::vector<SpendRow> g_loop_rows;
std::vector<std::shared_ptr<const GatewaySnapshot>> g_loop_snapshots;
std::size_t g_loop_dropped = 0;

// The UTC date of a millisecond timestamp, as strftime's format gives it.
std::string utc_date(std::int64_t now, const char* format) {
    std::time_t t = static_cast<std::time_t>(now / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

void append_int(std::string& out, std::int64_t value) {
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// The call's chain hash: SHA-256 of the previous row's hash, then the fields joined by 0x1f, as
// asgard_gateway_call_hash() joins them when the log is verified. `scratch` is reused.
Digest call_hash(std::string_view prev, const SpendRow& r, std::int64_t at_us, std::string& scratch) {
    scratch.assign(prev);
    auto field = [&scratch](std::string_view text) {
        scratch += text;
        scratch += '\x1f';
    };
    auto number = [&scratch](std::int64_t value) {
        append_int(scratch, value);
        scratch += '\x1f';
    };
    number(at_us);
    field(r.project);
    number(r.token_id);
    field(*r.model);
    field(r.data_class);
    field(r.outcome);
    number(r.status);
    number(r.input_tokens);
    number(r.output_tokens);
    number(r.cost_micro);
    field(r.redacted);
    scratch += r.request_id.data();
    return sha256(scratch);
}

// The call log's advisory lock, held to the end of the transaction. A batch takes it before its
// first write: the batches of every worker and node then write one after the other, so the hash
// chain has one order, and the spend rollups a batch touches (spend_daily and, through its
// trigger, spend_day_model and spend_project_month, migration 0017) are never locked in two orders
// at once (no deadlock between two batches).
void lock_call_log(PgConnection& db) { db.exec("SELECT pg_advisory_xact_lock(hashtext('asgard.gateway_calls'))"); }

// Where a batch's rows chain on: under the call log's lock, the last row's hash and a block of
// ids, one setval instead of a nextval per row.
struct ChainStart {
    std::string prev_hash;
    std::int64_t first_id;
};

ChainStart start_chain(PgConnection& db, std::size_t rows) {
    lock_call_log(db);
    auto last = db.exec("SELECT coalesce((SELECT encode(row_hash, 'hex') FROM gateway_calls ORDER BY id DESC LIMIT 1), ''),"
                        " setval('gateway_calls_id_seq', nextval('gateway_calls_id_seq') + $1 - 1)",
                        {std::to_string(rows)});
    return {from_hex(last.text(0, 0)), last.int64(0, 1) - static_cast<std::int64_t>(rows) + 1};
}

constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

// A batch's spend summed per (day, project, key, model): nearly always one group per batch.
struct SpendSum {
    const SpendRow* first;
    std::int64_t requests, in, out, micro;
};

std::vector<SpendSum> sum_spend(const std::vector<SpendRow>& rows) {
    std::vector<SpendSum> sums;
    for (const auto& r : rows) {
        if (!r.spend) continue;
        auto same = [&r](const SpendSum& s) {
            const SpendRow& f = *s.first;
            return f.token_id == r.token_id && (f.model == r.model || *f.model == *r.model) &&
                   f.at_ms / kDayMs == r.at_ms / kDayMs && f.project == r.project;
        };
        auto it = std::find_if(sums.begin(), sums.end(), same);
        if (it == sums.end()) it = sums.insert(sums.end(), SpendSum{&r, 0, 0, 0, 0});
        it->requests += 1;
        it->in += r.input_tokens;
        it->out += r.output_tokens;
        it->micro += r.cost_micro;
    }
    return sums;
}

void upsert_spend(PgConnection& db, const SpendSum& s) {
    const SpendRow& r = *s.first;
    db.exec("INSERT INTO spend_daily AS s (day, project_id, token_id, model, requests, input_tokens, output_tokens, cost_usd)"
            " VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8::numeric / 1000000)"
            " ON CONFLICT (day, project_id, token_id, model) DO UPDATE SET requests = s.requests + EXCLUDED.requests,"
            " input_tokens = s.input_tokens + EXCLUDED.input_tokens, output_tokens = s.output_tokens + EXCLUDED.output_tokens,"
            " cost_usd = s.cost_usd + EXCLUDED.cost_usd",
            {utc_day(r.at_ms), r.project, std::to_string(r.token_id), *r.model, std::to_string(s.requests), std::to_string(s.in),
             std::to_string(s.out), std::to_string(s.micro)});
}

// A batch PostgreSQL refused for its data: each spend group, then each call row, on its own (a
// savepoint each), so one bad row cannot hold back every other one. The spend stays summed per
// group: one upsert per row would update the same spend_daily row thousands of times in one
// transaction, each update walking every earlier version of that row. What still fails is
// dropped and reported.
std::string flush_row_by_row(const std::vector<SpendRow>& rows, const std::string& cause) {
    std::size_t dropped_rows = 0, dropped_spend = 0;
    auto on_its_own = [](PgConnection& db, auto&& write) {
        db.exec("SAVEPOINT asgard_row");
        try {
            write();
            db.exec("RELEASE SAVEPOINT asgard_row");
            return true;
        } catch (const PgError&) {
            db.exec("ROLLBACK TO SAVEPOINT asgard_row");
            return false;
        }
    };
    try {
        PgConnection& db = thread_pg();
        pg_transaction(db, [&] {
            lock_call_log(db);
            for (const auto& sum : sum_spend(rows))
                if (!on_its_own(db, [&] { upsert_spend(db, sum); })) dropped_spend += static_cast<std::size_t>(sum.requests);
            ChainStart chain = start_chain(db, rows.size());
            std::string scratch;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                const SpendRow& r = rows[i];
                std::int64_t at_us = r.at_ms * 1000;
                Digest hash = call_hash(chain.prev_hash, r, at_us, scratch);
                bool written = on_its_own(db, [&] {
                    db.exec("INSERT INTO gateway_calls (id, at, project_id, token_id, model, data_class, outcome, status,"
                            " input_tokens, output_tokens, cost_micro_usd, redacted, request_id, prev_hash, row_hash)"
                            " VALUES ($1, timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
                            " $13, decode($14, 'hex'), decode($15, 'hex'))",
                            {std::to_string(chain.first_id + static_cast<std::int64_t>(i)), std::to_string(at_us), r.project,
                             std::to_string(r.token_id), *r.model, r.data_class, r.outcome, std::to_string(r.status),
                             std::to_string(r.input_tokens), std::to_string(r.output_tokens), std::to_string(r.cost_micro),
                             r.redacted, std::string(r.request_id.data()), to_hex(chain.prev_hash), to_hex(as_view(hash))});
                });
                if (written) {
                    chain.prev_hash.assign(as_view(hash));  // a row that failed leaves a gap in the ids, not in the chain
                } else {
                    ++dropped_rows;
                }
            }
        });
    } catch (const std::exception& e) {
        return std::string("a batch was refused (") + cause + ") and writing it row by row failed: " + e.what();
    }
    if (dropped_rows == 0 && dropped_spend == 0) return "";
    // The counts first: PostgreSQL's message can be long enough for the log line to cut it.
    return std::to_string(dropped_rows) + " call row(s) and the spend of " + std::to_string(dropped_spend) +
           " call(s) could not be written and were dropped; the batch was refused: " + cause;
}

// A batch PostgreSQL could not take (it is unreachable): back in front of the queue, for the next
// flush, as far as the queue's limit allows.
void requeue(std::vector<SpendRow>&& rows, std::vector<std::shared_ptr<const GatewaySnapshot>>&& snapshots) {
    std::lock_guard<std::mutex> lock(g_spend_mutex);
    g_spend_snapshots.insert(g_spend_snapshots.end(), snapshots.begin(), snapshots.end());
    std::size_t room = kMaxQueuedRows > g_spend.size() ? kMaxQueuedRows - g_spend.size() : 0;
    if (rows.size() > room) {
        g_spend_dropped += rows.size() - room;
        spool_rows_done(rows.data() + room, rows.size() - room);
        rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(room), rows.end());
    }
    g_spend.insert(g_spend.begin(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
}

// An emptied batch vector becomes the spare when it has more room than the spare has, with room
// for a batch as big as this one and a quarter (reserved here, off the event loop).
void keep_as_spare(std::vector<SpendRow>&& rows, std::size_t batch) {
    rows.clear();
    std::size_t room = std::min(kMaxQueuedRows, batch + batch / 4 + 16);
    if (rows.capacity() < room) rows.reserve(room);
    std::lock_guard<std::mutex> lock(g_spend_mutex);
    if (rows.capacity() > g_spend_spare.capacity()) g_spend_spare.swap(rows);
}

// The batch's call rows, chained on from the log's last row, in one binary COPY. The rows are
// built and sent a slice at a time with a pause after each, so neither this thread nor the
// PostgreSQL backend takes a core for the whole batch: at full load a batch is 40,000 rows and
// about 100 ms of work, during which the event loop would otherwise wait for a core.
constexpr std::size_t kCopySlice = 32 * 1024;  // bytes, about 170 rows
constexpr long kCopyPauseNs = 500 * 1000;

void write_calls(PgConnection& db, const std::vector<SpendRow>& rows) {
    ChainStart chain = start_chain(db, rows.size());
    db.copy_start("COPY gateway_calls (id, at, project_id, token_id, model, data_class, outcome, status, input_tokens,"
                  " output_tokens, cost_micro_usd, redacted, request_id, prev_hash, row_hash) FROM STDIN (FORMAT binary)");
    thread_local PgCopyBinary copy;  // its buffer is kept from batch to batch
    copy.reset();
    thread_local std::string scratch;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (copy.buffered() >= kCopySlice) {
            copy.send(db);
            struct timespec pause = {0, kCopyPauseNs};
            nanosleep(&pause, nullptr);
        }
        const SpendRow& r = rows[i];
        std::int64_t at_us = r.at_ms * 1000;
        Digest hash = call_hash(chain.prev_hash, r, at_us, scratch);
        copy.begin_row(15);
        copy.int8(chain.first_id + static_cast<std::int64_t>(i));
        copy.timestamptz_us(at_us);
        copy.text(r.project);
        copy.int8(r.token_id);
        copy.text(*r.model);
        copy.text(r.data_class);
        copy.text(r.outcome);
        copy.int4(r.status);
        copy.int8(r.input_tokens);
        copy.int8(r.output_tokens);
        copy.int8(r.cost_micro);
        copy.text(r.redacted);
        copy.text(r.request_id.data());
        copy.text(chain.prev_hash);
        chain.prev_hash.assign(as_view(hash));
        copy.text(chain.prev_hash);
    }
    copy.finish();
    copy.send(db);
    db.copy_end();
}

}  // namespace

const std::string& utc_month(std::int64_t now) {
    thread_local std::int64_t minute = -1;  // months and days change on a minute boundary
    thread_local std::string month;
    if (now / 60000 != minute) {
        month = utc_date(now, "%Y-%m");
        minute = now / 60000;
    }
    return month;
}

const std::string& utc_day(std::int64_t now) {
    thread_local std::int64_t minute = -1;
    thread_local std::string day;
    if (now / 60000 != minute) {
        day = utc_date(now, "%Y-%m-%d");
        minute = now / 60000;
    }
    return day;
}

// The snapshot joins the list unless it is the last one there (nearly always).
void keep_snapshot(std::vector<std::shared_ptr<const GatewaySnapshot>>& kept, const std::shared_ptr<const GatewaySnapshot>& snapshot) {
    if (kept.empty() || kept.back() != snapshot) kept.push_back(snapshot);
}

void queue_spend_row_from_loop(SpendRow&& row, const std::shared_ptr<const GatewaySnapshot>& snapshot) {
    if (g_loop_rows.size() < kMaxQueuedRows) {
        // One write(2) of a small record to a local file: a page-cache copy, as nginx's own
        // access log does on the event loop.
        row.spool_segment = spool_call_row(row);
        keep_snapshot(g_loop_snapshots, snapshot);
        g_loop_rows.push_back(std::move(row));
    } else {
        ++g_loop_dropped;
    }
}

// The event loop's rows join the queue (swapped in whole when it is empty, as it nearly always
// is), and the event loop goes on with the spare the last flush left, already big enough.
void hand_over_loop_rows() {
    std::lock_guard<std::mutex> lock(g_spend_mutex);
    g_spend_dropped += g_loop_dropped;
    g_loop_dropped = 0;
    if (g_loop_rows.empty()) return;
    g_spend_snapshots.insert(g_spend_snapshots.end(), std::make_move_iterator(g_loop_snapshots.begin()),
                             std::make_move_iterator(g_loop_snapshots.end()));
    g_loop_snapshots.clear();
    if (g_spend.empty()) {
        g_spend.swap(g_loop_rows);
    } else {
        std::size_t room = kMaxQueuedRows > g_spend.size() ? kMaxQueuedRows - g_spend.size() : 0;
        std::size_t moved = std::min(room, g_loop_rows.size());
        g_spend_dropped += g_loop_rows.size() - moved;
        spool_rows_done(g_loop_rows.data() + moved, g_loop_rows.size() - moved);
        g_spend.insert(g_spend.end(), std::make_move_iterator(g_loop_rows.begin()),
                       std::make_move_iterator(g_loop_rows.begin() + static_cast<std::ptrdiff_t>(moved)));
        g_loop_rows.clear();
    }
    if (g_spend_spare.capacity() > g_loop_rows.capacity()) g_loop_rows.swap(g_spend_spare);
}

// Writes the queue (flush_gateway_spend without the spool's upkeep).
static std::string flush_queued_rows() {
    std::vector<SpendRow> rows;
    std::vector<std::shared_ptr<const GatewaySnapshot>> snapshots;  // alive until the rows are written
    std::size_t dropped = 0;
    {
        std::lock_guard<std::mutex> lock(g_spend_mutex);
        rows.swap(g_spend);
        snapshots.swap(g_spend_snapshots);
        std::swap(dropped, g_spend_dropped);
    }
    std::string lost = dropped ? std::to_string(dropped) + " row(s) were lost because PostgreSQL fell behind" : "";
    const std::size_t batch = rows.size();
    if (rows.empty()) {
        keep_as_spare(std::move(rows), batch);
        return lost;
    }
    try {
        PgConnection& db = thread_pg();
        pg_transaction(db, [&] {
            lock_call_log(db);
            for (const auto& sum : sum_spend(rows)) upsert_spend(db, sum);
            write_calls(db, rows);
        });
        spool_rows_done(rows.data(), rows.size());
        keep_as_spare(std::move(rows), batch);
        return lost;
    } catch (const PgError& e) {
        bool data_error = e.sqlstate.rfind("22", 0) == 0 || e.sqlstate.rfind("23", 0) == 0;
        if (data_error) {
            std::string result = flush_row_by_row(rows, e.what());
            spool_rows_done(rows.data(), rows.size());  // written, or dropped for good
            return result;
        }
        requeue(std::move(rows), std::move(snapshots));
        return std::string("not written, kept for the next try: ") + e.what();
    } catch (const std::exception& e) {
        requeue(std::move(rows), std::move(snapshots));
        return std::string("not written, kept for the next try: ") + e.what();
    }
}

std::string flush_gateway_spend() {
    rotate_call_spool();  // the rows taken below can then empty their segments
    sync_call_spool();
    std::string result = flush_queued_rows();
    collect_call_spool();
    std::string spool = take_spool_problems();
    if (spool.empty()) return result;
    return result.empty() ? spool : result + "; " + spool;
}


namespace {

// A text[] literal of request ids, each quoted.
std::string text_array(const std::vector<SpendRow>& rows) {
    std::string out = "{";
    for (const auto& r : rows) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char* c = r.request_id.data(); *c; ++c) {
            if (*c == '"' || *c == '\\') out += '\\';
            out += *c;
        }
        out += '"';
    }
    return out + "}";
}

// The rows whose request id gateway_calls holds not yet, under the call log's lock (held to the
// end of the caller's transaction, so a dying worker's commit is either seen or not yet begun).
// The look-up is bounded by the rows' own times: a row written before has exactly its `at`, and
// the BRIN index on `at` keeps the look-up to the blocks of that span.
std::vector<SpendRow> not_yet_written(PgConnection& db, const std::vector<SpendRow>& rows) {
    lock_call_log(db);
    std::int64_t lo = rows.front().at_ms, hi = lo;
    for (const auto& r : rows) lo = std::min(lo, r.at_ms), hi = std::max(hi, r.at_ms);
    auto known = db.exec("SELECT request_id FROM gateway_calls WHERE at BETWEEN timestamptz 'epoch' + $1::bigint * interval '1 microsecond'"
                         " AND timestamptz 'epoch' + $2::bigint * interval '1 microsecond' AND request_id = ANY($3::text[])",
                         {std::to_string(lo * 1000), std::to_string(hi * 1000), text_array(rows)});
    std::set<std::string> seen;
    for (int i = 0; i < known.rows(); ++i) seen.insert(known.text(i, 0));
    std::vector<SpendRow> fresh;
    for (const auto& r : rows)
        if (!seen.count(r.request_id.data())) fresh.push_back(r);
    return fresh;
}

constexpr std::size_t kReplayChunk = 5000;  // rows per transaction

// A dead worker's rows, a chunk per transaction; returns how many were new (written). A chunk
// PostgreSQL refuses for its data is written row by row, as a flush does.
std::size_t write_spooled_rows(const std::vector<SpendRow>& rows, std::string& dropped) {
    std::size_t written = 0;
    for (std::size_t start = 0; start < rows.size(); start += kReplayChunk) {
        std::vector<SpendRow> chunk(rows.begin() + static_cast<std::ptrdiff_t>(start),
                                    rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), start + kReplayChunk)));
        PgConnection& db = thread_pg();
        try {
            written += pg_transaction(db, [&] {
                std::vector<SpendRow> fresh = not_yet_written(db, chunk);
                if (fresh.empty()) return std::size_t{0};
                for (const auto& sum : sum_spend(fresh)) upsert_spend(db, sum);
                write_calls(db, fresh);
                return fresh.size();
            });
        } catch (const PgError& e) {
            if (e.sqlstate.rfind("22", 0) != 0 && e.sqlstate.rfind("23", 0) != 0) throw;
            std::vector<SpendRow> fresh = pg_transaction(db, [&] { return not_yet_written(db, chunk); });
            if (fresh.empty()) continue;
            std::string result = flush_row_by_row(fresh, e.what());
            if (!result.empty()) dropped += (dropped.empty() ? "" : "; ") + result;
            written += fresh.size();
        }
    }
    return written;
}

}  // namespace

std::string replay_call_spools(bool& failed) {
    failed = false;
    std::string out;
    try {
        for (auto& line : replay_orphaned_spools([&failed](DecodedSpool& spool) {
                 std::string dropped;
                 std::size_t written = spool.rows.empty() ? 0 : write_spooled_rows(spool.rows, dropped);
                 if (spool.skipped_regions || !dropped.empty()) failed = true;
                 return std::to_string(written) + " call row(s) (of " + std::to_string(spool.rows.size()) +
                        " in the file; the others were written before)" + (dropped.empty() ? "" : " [" + dropped + "]");
             })) {
            out += (out.empty() ? "" : "\n") + line;
        }
    } catch (const std::exception& e) {
        failed = true;
        out += std::string(out.empty() ? "" : "\n") + "a dead worker's spool file was not replayed (kept for the next try): " + e.what();
    }
    return out;
}

}  // namespace asg
