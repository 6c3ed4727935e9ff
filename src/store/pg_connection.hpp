// RAII over libpq: one connection, parameterised queries, transactions, typed errors.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asg {

// The database could not be reached or a statement failed for a reason the caller did not cause.
struct PgError : std::runtime_error {
    std::string sqlstate;
    PgError(const std::string& what, std::string state)
        : std::runtime_error(what), sqlstate(std::move(state)) {}
};

// Failures that say nothing about the statement, only that the database could not answer now:
// try again. pg_timed_out: it did not answer in time (statement or lock timeout, or no answer).
bool pg_unavailable(const PgError& e);
bool pg_timed_out(const PgError& e);
inline constexpr char kUniqueViolation[] = "23505";  // SQLSTATE unique_violation

using PgParam = std::optional<std::string>;  // nullopt is SQL NULL

class PgResult {
public:
    explicit PgResult(PGresult* r) : result_(r) {}
    int rows() const { return PQntuples(result_.get()); }
    int columns() const { return PQnfields(result_.get()); }
    bool is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col); }
    std::string text(int row, int col) const;
    std::int64_t int64(int row, int col) const;
    bool boolean(int row, int col) const { return text(row, col) == "t"; }
    std::string command_tuples() const { return PQcmdTuples(result_.get()); }
    const PGresult* raw() const { return result_.get(); }

private:
    struct Clear {
        void operator()(PGresult* r) const noexcept { PQclear(r); }
    };
    std::unique_ptr<PGresult, Clear> result_;
};

class PgConnection {
public:
    // timeout_ms 0: no deadline (the CLI: migrations may run long). Otherwise the connection opens
    // with the deadlines pg_connect_params derives from it, and no wait for the server's answer
    // lasts longer than timeout_ms + kPgAnswerGraceMs: past that the connection is dropped and the
    // statement fails with a PgError (a server that hangs cannot pin the calling thread).
    explicit PgConnection(const std::string& conninfo, std::int64_t timeout_ms = 0);
    PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
    // Several statements without parameters (simple query protocol): migrations only.
    void exec_script(const std::string& sql);
    // COPY ... FROM STDIN in pieces: copy_start, any number of copy_send (e.g. PgCopyBinary::send),
    // copy_end, which throws PgError with the server's reason when the COPY failed.
    void copy_start(const std::string& copy_sql);
    void copy_send(std::string_view data);
    void copy_end();
    bool healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }
    PGconn* raw() { return conn_.get(); }

private:
    PgError error_of(const PGresult* raw) const;  // the failure a result (or the connection) reports
    PGconn* live();                               // the connection, or a PgError once it was dropped
    // The answer to what was just sent: its last result (its first error), or the COPY IN result.
    PGresult* answer();
    void wait_readable(std::int64_t until_ms);    // drops the connection and throws past until_ms
    std::int64_t answer_wait_ms_ = 0;             // 0: no limit
    std::string dropped_;                         // why the connection was dropped
    struct Finish {
        void operator()(PGconn* c) const noexcept { PQfinish(c); }
    };
    std::unique_ptr<PGconn, Finish> conn_;
};

// Rows in COPY's binary format: cheaper for PostgreSQL than a parameterised INSERT, since no
// value goes through text input.
class PgCopyBinary {
public:
    PgCopyBinary();
    void reset();  // empty again (the header only), keeping the buffer's memory for the next COPY
    void begin_row(int fields);
    void text(std::string_view value);     // text, json (its text as is), and bytea's raw bytes
    void int4(std::int32_t value);
    void int8(std::int64_t value);
    void timestamptz_us(std::int64_t unix_micros);
    void finish();                         // adds the trailer, after the last row
    // What is built and not yet sent; send hands it to an open COPY and empties the buffer.
    std::size_t buffered() const { return data_.size(); }
    void send(PgConnection& db);

private:
    void be32(std::uint32_t value);
    std::string data_;
};

// Runs body inside BEGIN/COMMIT; rolls back when it throws.
template <typename F>
auto pg_transaction(PgConnection& db, F&& body) -> decltype(body()) {
    db.exec("BEGIN");
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            db.exec("COMMIT");
        } else {
            auto value = body();
            db.exec("COMMIT");
            return value;
        }
    } catch (...) {
        try {
            db.exec("ROLLBACK");
        } catch (...) {
        }
        throw;
    }
}

// How much longer than the server's own statement_timeout a client waits for an answer.
constexpr std::int64_t kPgAnswerGraceMs = 500;

// The calling thread's connection to the configured database (made on first use, remade if lost).
PgConnection& thread_pg();

// bytea parameter in libpq's hex text format.
std::string pg_bytea(std::string_view bytes);
// The bytes of a bytea value as PostgreSQL prints it (hex format, "\\x..."): pg_bytea's inverse.
std::string pg_bytea_bytes(std::string_view text);

}  // namespace asg
