// The call spool: records read back exactly, a torn or damaged record is skipped and the rest kept,
// a segment goes once its rows are done, and only a dead worker's file (its lock free) is replayed.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gateway/call_spool.hpp"

using namespace asg;

namespace {

const std::string kModel = "model:default/gpt-5";

SpendRow row(int i) {
    SpendRow r{};
    r.at_ms = 1700000000000 + i;
    r.project = "proj-2026-0001";
    r.model = &kModel;
    std::snprintf(r.request_id.data(), r.request_id.size(), "%032x", i + 1);
    r.data_class = "internal";
    r.outcome = i % 2 ? "ok" : "upstream_error";
    r.token_id = 7;
    r.input_tokens = 10 + i;
    r.output_tokens = 20 + i;
    r.cost_micro = 300 + i;
    r.status = 200;
    r.spend = i % 3 != 0;
    r.redacted = i % 2 ? "aws_key" : "";
    return r;
}

std::string records(int n) {
    std::string out, one;
    for (int i = 0; i < n; ++i) {
        encode_spool_record(row(i), one);
        out += one;
    }
    return out;
}

void assert_same(const SpendRow& got, const SpendRow& want) {
    assert_int_equal(got.at_ms, want.at_ms);
    assert_string_equal(got.project.c_str(), want.project.c_str());
    assert_string_equal(got.model->c_str(), want.model->c_str());
    assert_string_equal(got.request_id.data(), want.request_id.data());
    assert_string_equal(got.data_class.c_str(), want.data_class.c_str());
    assert_string_equal(got.outcome.c_str(), want.outcome.c_str());
    assert_int_equal(got.token_id, want.token_id);
    assert_int_equal(got.input_tokens, want.input_tokens);
    assert_int_equal(got.output_tokens, want.output_tokens);
    assert_int_equal(got.cost_micro, want.cost_micro);
    assert_int_equal(got.status, want.status);
    assert_int_equal(got.spend, want.spend);
    assert_string_equal(got.redacted.c_str(), want.redacted.c_str());
}

void records_read_back_exactly(void**) {
    DecodedSpool spool;
    decode_spool(records(5), spool);
    assert_int_equal(spool.rows.size(), 5);
    assert_int_equal(spool.skipped_regions, 0);
    for (int i = 0; i < 5; ++i) assert_same(spool.rows[i], row(i));
}

void a_torn_last_record_is_skipped_and_the_rest_kept(void**) {
    std::string bytes = records(4);
    for (std::size_t cut : {1u, 7u, 12u, 40u}) {
        DecodedSpool spool;
        decode_spool(std::string_view(bytes).substr(0, bytes.size() - cut), spool);
        assert_int_equal(spool.rows.size(), 3);
        assert_int_equal(spool.skipped_regions, 1);
        assert_true(spool.skipped_bytes > 0);
    }
}

void a_damaged_record_in_the_middle_is_skipped_and_the_ones_after_it_kept(void**) {
    std::string one;
    encode_spool_record(row(0), one);
    std::string bytes = records(5);
    bytes[one.size() + 30] ^= 0x55;  // inside the second record's payload: its checksum fails
    DecodedSpool spool;
    decode_spool(bytes, spool);
    assert_int_equal(spool.rows.size(), 4);
    assert_int_equal(spool.skipped_regions, 1);
    assert_int_equal(spool.first_skipped_at, one.size());
    assert_string_equal(spool.rows[1].request_id.data(), row(2).request_id.data());
}

std::string g_dir;

std::vector<std::string> spool_files() {
    std::vector<std::string> out;
    if (DIR* d = opendir(g_dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::strstr(e->d_name, ".spool")) out.push_back(g_dir + "/" + e->d_name);
        closedir(d);
    }
    return out;
}

bool locked_by_someone(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY);
    bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
    close(fd);
    return locked;
}

// A worker in a child process (forked while the parent has no spool open): spools `n` rows, tells the parent, then waits (alive) or dies.
pid_t child_worker(int n, bool die, int& release) {
    int ready[2], hold[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(hold), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(hold[1]);
        close(ready[0]);
        if (!open_call_spool(g_dir).empty()) _exit(2);
        for (int i = 0; i < n; ++i) {
            SpendRow r = row(100 + i);
            spool_call_row(r);
        }
        char c = 'r';
        if (write(ready[1], &c, 1) != 1) _exit(3);
        if (die) _exit(0);  // no close_call_spool: what a crash leaves
        if (read(hold[0], &c, 1) < 0) _exit(4);
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
    release = hold[1];
    return pid;
}

void a_segment_is_locked_while_its_worker_lives_and_removed_once_its_rows_are_done(void**) {
    assert_string_equal(open_call_spool(g_dir).c_str(), "");
    std::vector<SpendRow> rows;
    for (int i = 0; i < 3; ++i) {
        rows.push_back(row(i));
        rows.back().spool_segment = spool_call_row(rows.back());
        assert_int_not_equal(rows.back().spool_segment, 0);
    }
    auto files = spool_files();
    assert_int_equal(files.size(), 1);
    assert_true(locked_by_someone(files[0]));

    rotate_call_spool();
    SpendRow later = row(3);
    later.spool_segment = spool_call_row(later);
    assert_int_not_equal(later.spool_segment, rows[0].spool_segment);
    assert_int_equal(spool_files().size(), 2);

    collect_call_spool();  // nothing done yet
    assert_int_equal(spool_files().size(), 2);
    spool_rows_done(rows.data(), rows.size());
    collect_call_spool();
    assert_int_equal(spool_files().size(), 1);

    // Its own files are never replayed.
    int replayed = 0;
    replay_orphaned_spools([&](DecodedSpool&) { ++replayed; return std::string(); });
    assert_int_equal(replayed, 0);

    // The current segment's row is not done: at close the file stays, for a replay.
    close_call_spool();
    assert_int_equal(spool_files().size(), 1);
    assert_false(locked_by_someone(spool_files()[0]));
    unlink(spool_files()[0].c_str());
}

void only_a_dead_workers_spool_is_replayed_and_then_removed(void**) {
    int release_alive = -1, release_dead = -1;
    pid_t alive = child_worker(2, false, release_alive);
    pid_t dead = child_worker(3, true, release_dead);
    int status;
    waitpid(dead, &status, 0);
    assert_string_equal(open_call_spool(g_dir).c_str(), "");
    assert_int_equal(spool_files().size(), 3);  // ours, the live child's, the dead child's

    std::vector<std::size_t> seen;
    auto lines = replay_orphaned_spools([&](DecodedSpool& s) {
        seen.push_back(s.rows.size());
        assert_string_equal(s.rows[0].request_id.data(), row(100).request_id.data());
        return std::string("3 rows");
    });
    assert_int_equal(seen.size(), 1);
    assert_int_equal(seen[0], 3);
    assert_int_equal(lines.size(), 1);
    assert_non_null(std::strstr(lines[0].c_str(), "replayed 3 rows from "));
    assert_int_equal(spool_files().size(), 2);

    // A replay that fails keeps the file for the next try.
    close(release_alive);
    waitpid(alive, &status, 0);  // exits without closing its spool: now a dead worker's
    bool threw = false;
    try {
        replay_orphaned_spools([](DecodedSpool&) -> std::string { throw std::runtime_error("PostgreSQL is down"); });
    } catch (const std::exception&) {
        threw = true;
    }
    assert_true(threw);
    assert_int_equal(spool_files().size(), 2);
    replay_orphaned_spools([](DecodedSpool& s) { return std::to_string(s.rows.size()); });
    assert_int_equal(spool_files().size(), 1);  // ours

    close(release_dead);
    close_call_spool();
    assert_int_equal(spool_files().size(), 0);  // ours had no rows
}

// What a row costs the event loop: the record and its write(2) to the page cache.
void appending_a_row_costs_a_few_microseconds(void**) {
    assert_string_equal(open_call_spool(g_dir).c_str(), "");
    constexpr int kRows = 100000;
    std::vector<SpendRow> rows(kRows, row(1));
    auto start = std::chrono::steady_clock::now();
    for (auto& r : rows) r.spool_segment = spool_call_row(r);
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kRows;
    std::printf("# spool_call_row: %.2f us per row (%d rows)\n", us, kRows);
    assert_true(us < 50);
    spool_rows_done(rows.data(), rows.size());
    close_call_spool();
    assert_int_equal(spool_files().size(), 0);
}

}  // namespace

int main() {
    char tmpl[] = "/tmp/asgard-spool-test-XXXXXX";
    g_dir = mkdtemp(tmpl);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_read_back_exactly),
        cmocka_unit_test(a_torn_last_record_is_skipped_and_the_rest_kept),
        cmocka_unit_test(a_damaged_record_in_the_middle_is_skipped_and_the_ones_after_it_kept),
        cmocka_unit_test(a_segment_is_locked_while_its_worker_lives_and_removed_once_its_rows_are_done),
        cmocka_unit_test(only_a_dead_workers_spool_is_replayed_and_then_removed),
        cmocka_unit_test(appending_a_row_costs_a_few_microseconds),
    };
    int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
    for (const auto& f : spool_files()) unlink(f.c_str());
    rmdir(g_dir.c_str());
    return failed;
}
