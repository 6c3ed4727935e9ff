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

inline constexpr char kUniqueViolation[] = "23505";  // SQLSTATE unique_violation

using PgParam = std::optional<std::string>;  // nullopt is SQL NULL

class PgResult {
public:
    explicit PgResult(PGresult* r) : result_(r) {}
    int rows() const { return PQntuples(result_.get()); }
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
    explicit PgConnection(const std::string& conninfo);
    PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
    // Several statements without parameters (simple query protocol): migrations only.
    void exec_script(const std::string& sql);
    // COPY ... FROM STDIN in pieces: copy_start, any number of copy_send (e.g. PgCopyBinary::send),
    // copy_end, which throws PgError with the server's reason when the COPY failed.
    void copy_start(const std::string& copy_sql);
    void copy_send(std::string_view data);
    void copy_end();
    bool healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
    PGconn* raw() { return conn_.get(); }

private:
    PgError error_of(const PGresult* raw) const;  // the failure a result (or the connection) reports
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

// The calling thread's connection to the configured database (made on first use, remade if lost).
PgConnection& thread_pg();

// bytea parameter in libpq's hex text format.
std::string pg_bytea(std::string_view bytes);
// The bytes of a bytea value as PostgreSQL prints it (hex format, "\\x..."): pg_bytea's inverse.
std::string pg_bytea_bytes(std::string_view text);

}  // namespace asg
