// libpq connection handling: connect with timeouts, run parameterised statements, map errors.
#include "store/pg_connection.hpp"

#include <algorithm>
#include <cstdlib>

#include "config/runtime_config.hpp"
#include "util/crypto.hpp"

namespace asg {

std::string PgResult::text(int row, int col) const {
    const char* v = PQgetvalue(result_.get(), row, col);
    return std::string(v, static_cast<std::size_t>(PQgetlength(result_.get(), row, col)));
}

std::int64_t PgResult::int64(int row, int col) const {
    return std::strtoll(PQgetvalue(result_.get(), row, col), nullptr, 10);
}

static std::string trimmed(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return message;
}

PgConnection::PgConnection(const std::string& conninfo) {
    // Our defaults first: values from the connection string, expanded later, win.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"5", "asgard", conninfo.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
        throw PgError("cannot connect to PostgreSQL: " + trimmed(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"),
                      "08001");
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
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
    PGresult* raw = PQexecParams(conn_.get(), statement.c_str(), static_cast<int>(params.size()),
                                 nullptr, values.data(), nullptr, nullptr, 0);
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    throw error_of(raw);
}

void PgConnection::exec_script(const std::string& sql) {
    PGresult* raw = PQexec(conn_.get(), sql.c_str());
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    throw error_of(raw);
}

void PgConnection::copy_start(const std::string& copy_sql) {
    PgResult start(PQexec(conn_.get(), copy_sql.c_str()));
    if (start.raw() == nullptr || PQresultStatus(start.raw()) != PGRES_COPY_IN) throw error_of(start.raw());
}

void PgConnection::copy_send(std::string_view data) {
    constexpr std::size_t kChunk = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += kChunk) {
        int n = static_cast<int>(std::min(kChunk, data.size() - at));
        if (PQputCopyData(conn_.get(), data.data() + at, n) != 1) return;  // copy_end's result names the failure
    }
    PQflush(conn_.get());
}

void PgConnection::copy_end() {
    PQputCopyEnd(conn_.get(), nullptr);
    PgResult end(PQgetResult(conn_.get()));
    while (PGresult* extra = PQgetResult(conn_.get())) PQclear(extra);
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
        connection = std::make_unique<PgConnection>(config->database_url);
    }
    return *connection;
}

std::string pg_bytea(std::string_view bytes) { return "\\x" + to_hex(bytes); }

std::string pg_bytea_bytes(std::string_view text) { return from_hex(text.substr(text.rfind("\\x", 0) == 0 ? 2 : 0)); }

}  // namespace asg
