// The worker's call spool: every queued gateway call row is also appended (one write(2), one
// checksummed record) to a file of the worker's own in the spool directory, so a row survives the
// worker's crash until it is in PostgreSQL. The worker holds an flock on each of its files; a file
// whose lock is free belongs to a dead worker, and any worker may claim and replay it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/spend_log.hpp"

namespace asg {

// Starts the worker's spool in `dir` (which exists): "" or what went wrong (then rows are not
// spooled, as before).
std::string open_call_spool(const std::string& dir);
// Removes the files whose rows are all written and closes the rest, which stay for a replay
// (worker exit, after the last flush).
void close_call_spool();

// Appends a row's record (any thread); returns the spool segment it went to, 0 when it was not
// spooled (no spool, or the write failed: counted, see take_spool_problems).
std::uint32_t spool_call_row(const SpendRow& row);
// Rows that left the queue for good (written to PostgreSQL, or dropped): a segment none of whose
// rows is still queued is removed by the next collect_call_spool.
void spool_rows_done(const SpendRow* rows, std::size_t count);
// Thread pool, at the start of a flush: the next rows go to a new segment (when the current one
// has rows), so a segment's rows can all be written and the file removed.
void rotate_call_spool();
// Thread pool, at each flush: what was appended since the last one goes to disk (fdatasync), so a
// machine crash loses at most the rows of about one flush interval.
void sync_call_spool();
// Thread pool, after a flush: removes the closed segments whose rows are all done.
void collect_call_spool();
// What went wrong with the spool since the last call ("" nearly always).
std::string take_spool_problems();

// Records: encoded, and decoded from a file's bytes. A record that is cut short or fails its
// checksum (a torn last record after a machine crash) is skipped: the reader looks for the next
// record that checks out.
void encode_spool_record(const SpendRow& row, std::string& out);
struct DecodedSpool {
    std::vector<SpendRow> rows;   // model pointers into `models`
    std::set<std::string> models;
    std::size_t skipped_regions = 0, skipped_bytes = 0, first_skipped_at = 0;
};
void decode_spool(std::string_view bytes, DecodedSpool& out);

// The spool files of dead workers (their lock free) in the spool directory, each claimed (locked)
// in turn and handed to `replay`, then removed; a file `replay` throws for stays for a later try
// (the exception propagates). Returns one line per file replayed.
std::vector<std::string> replay_orphaned_spools(const std::function<std::string(DecodedSpool&)>& replay);

}  // namespace asg
