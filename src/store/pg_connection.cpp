// libpq connection handling: connect with timeouts, run parameterised statements, map errors.
#include "store/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "config/runtime_config.hpp"
#include "store/pg_connect_params.hpp"
#include "util/crypto.hpp"

namespace asg {

bool pg_timed_out(const PgError& e) { return e.sqlstate == "57014" || e.sqlstate == "55P03"; }

bool pg_unavailable(const PgError& e) {
    // 08: connection exceptions; 57P01-57P03: shutting down or starting; 53300: too many connections.
    return pg_timed_out(e) || e.sqlstate.rfind("08", 0) == 0 || e.sqlstate.rfind("57P0", 0) == 0 ||
           e.sqlstate == "53300";
}

std::string PgResult::text(int row, int col) const {
    const char* v = PQgetvalue(result_.get(), row, col);
    return std::string(v, static_cast<std::size_t>(PQgetlength(result_.get(), row, col)));
}

std::int64_t PgResult::int64(int row, int col) const {
    return std::strtoll(PQgetvalue(result_.get(), row, col), nullptr, 10);
}

static std::int64_t steady_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

static std::string trimmed(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return message;
}

PgConnection::PgConnection(const std::string& conninfo, std::int64_t timeout_ms) {
    PgConnectParams params = pg_connect_params(conninfo, timeout_ms);
    std::vector<const char*> keys, values;
    for (std::size_t i = 0; i < params.keys.size(); ++i) {
        keys.push_back(params.keys[i].c_str());
        values.push_back(params.values[i].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
        throw PgError("cannot connect to PostgreSQL: " + trimmed(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"),
                      "08001");
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    answer_wait_ms_ = timeout_ms > 0 ? timeout_ms + kPgAnswerGraceMs : 0;
}

PGconn* PgConnection::live() {
    if (!conn_) throw PgError(dropped_, "08006");
    return conn_.get();
}

void PgConnection::wait_readable(std::int64_t until_ms) {
    for (;;) {
        int wait = -1;
        if (answer_wait_ms_ > 0) {
            std::int64_t left = until_ms - steady_ms();
            if (left <= 0) break;
            wait = static_cast<int>(left);
        }
        pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
        if (fd.fd < 0) return;  // the connection is closed: PQconsumeInput says so
        int n = poll(&fd, 1, wait);
        if (n > 0) return;
        if (n < 0 && errno != EINTR) return;  // PQconsumeInput names the socket's failure
    }
    // The server (or the path to it) hangs: give the connection up without waiting on it again.
    dropped_ = "PostgreSQL did not answer within " + std::to_string(answer_wait_ms_) +
               " ms (asgard_io_timeout and a grace); the connection was dropped";
    PQsetnonblocking(conn_.get(), 1);  // PQfinish's goodbye must not block either
    conn_.reset();
    throw PgError(dropped_, "57014");  // query_canceled: by us, for want of an answer
}

PGresult* PgConnection::answer() {
    std::int64_t until = steady_ms() + answer_wait_ms_;
    PGresult* kept = nullptr;
    try {
        for (;;) {
            while (PQisBusy(conn_.get())) {
                wait_readable(until);
                if (!PQconsumeInput(conn_.get())) break;  // PQgetResult reports it
            }
            PGresult* next = PQgetResult(conn_.get());
            if (next == nullptr) return kept;
            ExecStatusType status = PQresultStatus(next);
            if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
                PQclear(kept);
                return next;
            }
            if (kept != nullptr && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
                PQclear(next);
            } else {
                PQclear(kept);
                kept = next;
            }
        }
    } catch (...) {
        PQclear(kept);
        throw;
    }
}

PgError PgConnection::error_of(const PGresult* raw) const {
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    return PgError(trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get())), state ? state : "08006");
}

PgResult PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    std::string statement(sql);
    if (!PQsendQueryParams(live(), statement.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                           nullptr, nullptr, 0))
        throw error_of(nullptr);
    PGresult* raw = answer();
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    throw error_of(raw);
}

void PgConnection::exec_script(const std::string& sql) {
    if (!PQsendQuery(live(), sql.c_str())) throw error_of(nullptr);
    PGresult* raw = answer();
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    throw error_of(raw);
}

void PgConnection::copy_start(const std::string& copy_sql) {
    if (!PQsendQuery(live(), copy_sql.c_str())) throw error_of(nullptr);
    PgResult start(answer());
    if (start.raw() == nullptr || PQresultStatus(start.raw()) != PGRES_COPY_IN) throw error_of(start.raw());
}

void PgConnection::copy_send(std::string_view data) {
    live();
    constexpr std::size_t kChunk = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += kChunk) {
        int n = static_cast<int>(std::min(kChunk, data.size() - at));
        if (PQputCopyData(conn_.get(), data.data() + at, n) != 1) return;  // copy_end's result names the failure
    }
    PQflush(conn_.get());
}

void PgConnection::copy_end() {
    PQputCopyEnd(live(), nullptr);
    PgResult end(answer());
    if (end.raw() == nullptr || PQresultStatus(end.raw()) != PGRES_COMMAND_OK) throw error_of(end.raw());
}

PgCopyBinary::PgCopyBinary() { reset(); }

void PgCopyBinary::reset() {
    static const char kHeader[] = "PGCOPY\n\377\r\n";
    data_.assign(kHeader, 11);
    be32(0);  // flags
    be32(0);  // header extension length
}

void PgCopyBinary::be32(std::uint32_t value) {
    char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
                     static_cast<char>(value)};
    data_.append(bytes, 4);
}

void PgCopyBinary::begin_row(int fields) {
    data_.push_back(static_cast<char>(fields >> 8));
    data_.push_back(static_cast<char>(fields));
}

void PgCopyBinary::text(std::string_view value) {
    be32(static_cast<std::uint32_t>(value.size()));
    data_.append(value);
}

void PgCopyBinary::int4(std::int32_t value) {
    be32(4);
    be32(static_cast<std::uint32_t>(value));
}

void PgCopyBinary::int8(std::int64_t value) {
    be32(8);
    auto bits = static_cast<std::uint64_t>(value);
    be32(static_cast<std::uint32_t>(bits >> 32));
    be32(static_cast<std::uint32_t>(bits));
}

void PgCopyBinary::timestamptz_us(std::int64_t unix_micros) {
    constexpr std::int64_t kPostgresEpochUnixMicros = 946684800LL * 1000000;  // 2000-01-01 UTC
    int8(unix_micros - kPostgresEpochUnixMicros);
}

void PgCopyBinary::finish() {
    data_.push_back('\xff');
    data_.push_back('\xff');
}

void PgCopyBinary::send(PgConnection& db) {
    db.copy_send(data_);
    data_.clear();
}

PgConnection& thread_pg() {
    thread_local std::unique_ptr<PgConnection> connection;
    if (!connection || !connection->healthy()) {
        connection.reset();
        auto config = runtime_config();
        connection = std::make_unique<PgConnection>(config->database_url, config->pg_timeout_ms);
    }
    return *connection;
}

std::string pg_bytea(std::string_view bytes) { return "\\x" + to_hex(bytes); }

std::string pg_bytea_bytes(std::string_view text) { return from_hex(text.substr(text.rfind("\\x", 0) == 0 ? 2 : 0)); }

}  // namespace asg
