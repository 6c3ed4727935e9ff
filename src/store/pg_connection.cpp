// libpq connection handling: connect with timeouts, run parameterised statements, map errors.
#include "store/pg_connection.hpp"

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

PgConnection::PgConnection(const std::string& conninfo) {
    // Our defaults first: values from the connection string, expanded later, win.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"5", "asgard", conninfo.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
        std::string message = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
        while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
            message.pop_back();
        throw PgError("cannot connect to PostgreSQL: " + message, "08001");
    }
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
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
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    throw PgError(message, state ? state : "08006");
}

static std::string trimmed(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return message;
}

void PgConnection::exec_script(const std::string& sql) {
    PGresult* raw = PQexec(conn_.get(), sql.c_str());
    PgResult result(raw);
    ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    throw PgError(trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get())), state ? state : "08006");
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

}  // namespace asg
