// The call spool's files: segments a worker appends to and removes once their rows are written,
// their checksummed records, and the claiming of dead workers' files by their free flock.
#include "gateway/call_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "util/base62.hpp"

namespace asg {

namespace {

// A record: magic, payload length, CRC-32 of the payload (host byte order: the spool is read on
// the machine that wrote it), then the payload.
constexpr std::uint32_t kMagic = 0x31475341;  // "ASG1"
constexpr std::size_t kHeader = 12;
constexpr std::uint32_t kMaxPayload = 1 << 20;
// Closed segments still holding queued rows (PostgreSQL behind): past this many, the current
// segment takes the rows until the older ones are written, so a long outage costs no more files.
constexpr std::size_t kMaxClosedSegments = 8;

struct Segment {
    std::uint32_t id = 0;
    int fd = -1;
    std::string path;
    std::size_t written = 0, done = 0;
    std::size_t synced = 0;  // rows on disk (fdatasync), not only in the page cache
};

std::mutex g_mutex;  // everything below
std::string g_dir;
std::string g_stem;  // calls-<pid>-<start ms>-: this worker's files
std::uint32_t g_next_id = 1;
Segment g_current;
std::vector<Segment> g_closed;
std::size_t g_write_failures = 0;
std::string g_last_failure;

std::string errno_text(const char* what, const std::string& path) {
    return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// A new segment file, locked: created under a name the replay ignores, locked, then renamed, so
// no other worker can ever see it unlocked.
Segment create_segment(const std::string& dir, const std::string& stem, std::uint32_t id) {
    Segment s;
    s.id = id;
    s.path = dir + "/" + stem + std::to_string(id) + ".spool";
    std::string staging = dir + "/." + stem + std::to_string(id) + ".new";
    int fd = ::open(staging.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(errno_text("cannot create", staging));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(staging.c_str(), s.path.c_str()) != 0) {
        std::string error = errno_text("cannot lock or rename", staging);
        ::unlink(staging.c_str());
        ::close(fd);
        throw std::runtime_error(error);
    }
    s.fd = fd;
    return s;
}

// Removes (then closes, so the lock is held until the name is gone) each segment.
void remove_segments(std::vector<Segment>& segments) {
    for (auto& s : segments) {
        ::unlink(s.path.c_str());
        ::close(s.fd);
    }
    segments.clear();
}

void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_i64(std::string& out, std::int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
void put_text(std::string& out, std::string_view text) {
    put_u32(out, static_cast<std::uint32_t>(text.size()));
    out.append(text);
}

// Reads a payload; false when it does not hold a whole row.
struct Reader {
    std::string_view in;
    bool ok = true;
    template <typename T>
    T number() {
        T v{};
        if (in.size() < sizeof v) {
            ok = false;
            return v;
        }
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
        return v;
    }
    std::string_view text() {
        std::uint32_t n = number<std::uint32_t>();
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        std::string_view t = in.substr(0, n);
        in.remove_prefix(n);
        return t;
    }
};

bool decode_row(std::string_view payload, DecodedSpool& out) {
    Reader r{payload};
    SpendRow row{};
    row.at_ms = r.number<std::int64_t>();
    row.token_id = r.number<std::int64_t>();
    row.input_tokens = r.number<std::int64_t>();
    row.output_tokens = r.number<std::int64_t>();
    row.cost_micro = r.number<std::int64_t>();
    row.status = r.number<std::int32_t>();
    row.spend = r.number<std::uint8_t>() != 0;
    std::string_view project = r.text(), model = r.text(), request_id = r.text(), data_class = r.text(),
                     outcome = r.text(), redacted = r.text();
    if (!r.ok || !r.in.empty() || request_id.size() >= row.request_id.size()) return false;
    row.project.assign(project);
    row.model = &*out.models.emplace(model).first;
    request_id.copy(row.request_id.data(), request_id.size());
    row.request_id[request_id.size()] = '\0';
    row.data_class.assign(data_class);
    row.outcome.assign(outcome);
    row.redacted.assign(redacted);
    out.rows.push_back(std::move(row));
    return true;
}

// One record at `at`: its length, or 0 when none checks out there.
std::size_t decode_record(std::string_view bytes, std::size_t at, DecodedSpool& out) {
    if (bytes.size() - at < kHeader) return 0;
    std::uint32_t magic, len, crc;
    std::memcpy(&magic, bytes.data() + at, 4);
    std::memcpy(&len, bytes.data() + at + 4, 4);
    std::memcpy(&crc, bytes.data() + at + 8, 4);
    if (magic != kMagic || len > kMaxPayload || bytes.size() - at - kHeader < len) return 0;
    std::string_view payload = bytes.substr(at + kHeader, len);
    if (crc32(payload) != crc || !decode_row(payload, out)) return 0;
    return kHeader + len;
}

std::string read_whole(int fd, const std::string& path) {
    std::string bytes;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) return bytes;
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(errno_text("cannot read", path));
        }
        bytes.append(buf, static_cast<std::size_t>(n));
    }
}

}  // namespace

void encode_spool_record(const SpendRow& row, std::string& out) {
    out.assign(kHeader, '\0');
    put_i64(out, row.at_ms);
    put_i64(out, row.token_id);
    put_i64(out, row.input_tokens);
    put_i64(out, row.output_tokens);
    put_i64(out, row.cost_micro);
    std::int32_t status = row.status;
    out.append(reinterpret_cast<const char*>(&status), sizeof status);
    out += static_cast<char>(row.spend ? 1 : 0);
    put_text(out, row.project);
    put_text(out, row.model ? std::string_view(*row.model) : std::string_view());
    put_text(out, row.request_id.data());
    put_text(out, row.data_class);
    put_text(out, row.outcome);
    put_text(out, row.redacted);
    std::uint32_t len = static_cast<std::uint32_t>(out.size() - kHeader);
    std::uint32_t crc = crc32(std::string_view(out).substr(kHeader));
    std::memcpy(&out[0], &kMagic, 4);
    std::memcpy(&out[4], &len, 4);
    std::memcpy(&out[8], &crc, 4);
}

void decode_spool(std::string_view bytes, DecodedSpool& out) {
    const std::string_view magic(reinterpret_cast<const char*>(&kMagic), 4);
    std::size_t at = 0;
    while (at < bytes.size()) {
        if (std::size_t n = decode_record(bytes, at, out)) {
            at += n;
            continue;
        }
        // A torn or damaged record: skipped up to the next record that checks out (taken here).
        std::size_t from = at;
        if (out.skipped_regions++ == 0) out.first_skipped_at = from;
        std::size_t next = at + 1, taken = 0;
        while ((next = bytes.find(magic, next)) != std::string_view::npos && !(taken = decode_record(bytes, next, out))) ++next;
        if (next == std::string_view::npos) next = bytes.size();
        out.skipped_bytes += next - from;
        at = next + taken;
    }
}

std::string open_call_spool(const std::string& dir) {
    try {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_current.fd >= 0) return "";
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        g_dir = dir;
        g_stem = "calls-" + std::to_string(::getpid()) + "-" + std::to_string(ms) + "-";
        g_current = create_segment(g_dir, g_stem, g_next_id++);
        return "";
    } catch (const std::exception& e) {
        g_dir.clear();
        return e.what();
    }
}

void close_call_spool() {
    std::vector<Segment> gone, kept;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_current.fd >= 0) g_closed.push_back(std::move(g_current));
        g_current = Segment{};
        for (auto& s : g_closed) (s.done >= s.written ? gone : kept).push_back(std::move(s));
        g_closed.clear();
    }
    remove_segments(gone);
    for (auto& s : kept) ::close(s.fd);  // a later worker replays these
}

std::uint32_t spool_call_row(const SpendRow& row) {
    thread_local std::string record;
    encode_spool_record(row, record);
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_current.fd < 0) return 0;
    std::size_t sent = 0;
    while (sent < record.size()) {
        ssize_t n = ::write(g_current.fd, record.data() + sent, record.size() - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (g_write_failures++ == 0) g_last_failure = errno_text("cannot append to", g_current.path);
            return 0;
        }
        sent += static_cast<std::size_t>(n);
    }
    ++g_current.written;
    return g_current.id;
}

void spool_rows_done(const SpendRow* rows, std::size_t count) {
    // Nearly always one or two segments per batch: summed first, then one lock.
    std::pair<std::uint32_t, std::size_t> sums[4];
    std::size_t nsums = 0;
    auto apply = [](std::uint32_t id, std::size_t n) {
        if (g_current.id == id) {
            g_current.done += n;
            return;
        }
        for (auto& s : g_closed)
            if (s.id == id) s.done += n;
    };
    std::lock_guard<std::mutex> lock(g_mutex);
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t id = rows[i].spool_segment;
        if (id == 0) continue;
        std::size_t k = 0;
        while (k < nsums && sums[k].first != id) ++k;
        if (k == nsums) {
            if (nsums == 4) {  // a fifth segment: flush the sums so far
                for (auto& [sid, n] : sums) apply(sid, n);
                nsums = k = 0;
            }
            sums[nsums++] = {id, 0};
        }
        ++sums[k].second;
    }
    for (std::size_t k = 0; k < nsums; ++k) apply(sums[k].first, sums[k].second);
}

void rotate_call_spool() {
    std::string dir, stem;
    std::uint32_t id;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_current.fd < 0 || g_current.written == 0 || g_closed.size() >= kMaxClosedSegments) return;
        dir = g_dir;
        stem = g_stem;
        id = g_next_id++;
    }
    Segment next;
    try {
        next = create_segment(dir, stem, id);  // off the lock: the event loop appends meanwhile
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_write_failures++ == 0) g_last_failure = e.what();
        return;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    g_closed.push_back(std::move(g_current));
    g_current = std::move(next);
}

void sync_call_spool() {
    std::vector<std::pair<int, std::size_t>> unsynced;  // fd, rows written by then
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        auto note = [&unsynced](const Segment& s) {
            if (s.fd >= 0 && s.written > s.synced && s.done < s.written) unsynced.emplace_back(s.fd, s.written);
        };
        for (const auto& s : g_closed) note(s);
        note(g_current);
    }
    // Only this thread (the flush) closes segments, so the fds stay valid meanwhile.
    for (auto& [fd, written] : unsynced) {
        if (::fdatasync(fd) != 0) {
            std::lock_guard<std::mutex> lock(g_mutex);
            if (g_write_failures++ == 0) g_last_failure = std::string("fdatasync: ") + std::strerror(errno);
            continue;
        }
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_current.fd == fd) g_current.synced = written;
        for (auto& s : g_closed) if (s.fd == fd) s.synced = written;
    }
}

void collect_call_spool() {
    std::vector<Segment> gone;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        for (auto it = g_closed.begin(); it != g_closed.end();) {
            if (it->done >= it->written) {
                gone.push_back(std::move(*it));
                it = g_closed.erase(it);
            } else {
                ++it;
            }
        }
    }
    remove_segments(gone);
}

std::string take_spool_problems() {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_write_failures == 0) return "";
    std::string out = std::to_string(g_write_failures) + " call row(s) could not be written to the spool (" + g_last_failure +
                      "): those are lost if this worker crashes before its next flush";
    g_write_failures = 0;
    return out;
}

std::vector<std::string> replay_orphaned_spools(const std::function<std::string(DecodedSpool&)>& replay) {
    std::string dir, stem;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        dir = g_dir;
        stem = g_stem;
    }
    std::vector<std::string> lines;
    if (dir.empty()) return lines;
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string_view name = e->d_name;
            if (name.size() > 12 && name.substr(0, 6) == "calls-" && name.substr(name.size() - 6) == ".spool" &&
                name.substr(0, stem.size()) != stem)
                names.emplace_back(name);
        }
        ::closedir(d);
    }
    for (const auto& name : names) {
        std::string path = dir + "/" + name;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;  // replayed and removed by another worker meanwhile
        struct stat st;
        // Locked: its worker is alive. Unlinked: another worker replayed it while we opened it.
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(fd, &st) != 0 || st.st_nlink == 0) {
            ::close(fd);
            continue;
        }
        try {
            DecodedSpool spool;
            decode_spool(read_whole(fd, path), spool);
            std::string what = replay(spool);
            std::string line = "replayed " + what + " from " + path + ", the spool file of a worker that is gone";
            if (spool.skipped_regions)
                line += "; skipped " + std::to_string(spool.skipped_regions) + " torn or damaged record(s) (" +
                        std::to_string(spool.skipped_bytes) + " bytes from byte " + std::to_string(spool.first_skipped_at) +
                        "): those calls' rows are lost";
            ::unlink(path.c_str());
            ::close(fd);
            lines.push_back(std::move(line));
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
    return lines;
}

}  // namespace asg
