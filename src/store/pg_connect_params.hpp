// The libpq keywords a connection opens with: the operator's connection string plus the deadlines
// derived from one timeout (statement, lock, connect, TCP), each only where the string sets none.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace asg {

struct PgConnectParams {
    std::vector<std::string> keys;    // for PQconnectdbParams(..., expand_dbname = 1)
    std::vector<std::string> values;
};

// conninfo is a postgresql:// URL, key=value text or a bare database name. timeout_ms 0 adds no
// deadline (only connect_timeout 5 and application_name asgard, as defaults). Otherwise:
// connect_timeout (whole seconds, at least 2), keepalives_idle and keepalives_interval (whole
// seconds), tcp_user_timeout (ms) as defaults the string overrides, and -c statement_timeout (the
// timeout) and -c lock_timeout (half of it) added to the string's options (or $PGOPTIONS) unless
// they name those settings already. An explicitly empty options= keeps the startup packet free of
// options (PgBouncer without track_extra_parameters refuses them).
PgConnectParams pg_connect_params(const std::string& conninfo, std::int64_t timeout_ms);

}  // namespace asg
