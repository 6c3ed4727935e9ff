// The deadlines a PostgreSQL connection opens with, derived from asgard_io_timeout: added to what
// the connection string says (URL or key=value), never over a setting it makes itself.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <optional>
#include <string>

#include "store/pg_connect_params.hpp"

namespace {

// The value a keyword is given last (the one libpq uses), or nullopt.
std::optional<std::string> last_value(const asg::PgConnectParams& p, const std::string& key) {
    std::optional<std::string> value;
    for (std::size_t i = 0; i < p.keys.size(); ++i)
        if (p.keys[i] == key) value = p.values[i];
    return value;
}

// Where a keyword is placed: before dbname (a default the string overrides) or after (it wins).
bool before_dbname(const asg::PgConnectParams& p, const std::string& key) {
    for (const auto& k : p.keys) {
        if (k == key) return true;
        if (k == "dbname") return false;
    }
    return false;
}

void url_gets_every_deadline(void**) {
    unsetenv("PGOPTIONS");
    unsetenv("PGCONNECT_TIMEOUT");
    auto p = asg::pg_connect_params("postgresql://asgard@127.0.0.1:5432/asgard", 1500);
    assert_true(last_value(p, "dbname") == std::string("postgresql://asgard@127.0.0.1:5432/asgard"));
    assert_true(last_value(p, "options") == std::string("-c statement_timeout=1500 -c lock_timeout=750"));
    assert_true(last_value(p, "connect_timeout") == std::string("2"));
    assert_true(last_value(p, "tcp_user_timeout") == std::string("1500"));
    assert_true(last_value(p, "keepalives_idle") == std::string("2"));
    assert_true(last_value(p, "keepalives_interval") == std::string("2"));
    assert_true(before_dbname(p, "tcp_user_timeout"));
    assert_true(before_dbname(p, "connect_timeout"));
}

void key_value_form_gets_every_deadline(void**) {
    unsetenv("PGOPTIONS");
    auto p = asg::pg_connect_params("host=127.0.0.1 port=5432 dbname=asgard user=asgard", 5000);
    assert_true(last_value(p, "options") == std::string("-c statement_timeout=5000 -c lock_timeout=2500"));
    assert_true(last_value(p, "connect_timeout") == std::string("5"));
    assert_true(last_value(p, "keepalives_idle") == std::string("5"));
    assert_true(last_value(p, "tcp_user_timeout") == std::string("5000"));
}

void url_keeps_its_own_statement_timeout_and_options(void**) {
    unsetenv("PGOPTIONS");
    auto p = asg::pg_connect_params(
        "postgresql://asgard@db/asgard?options=-c%20statement_timeout%3D0%20-c%20search_path%3Dapp", 1000);
    assert_true(last_value(p, "options") == std::string("-c statement_timeout=0 -c search_path=app -c lock_timeout=500"));
}

void key_value_keeps_its_own_lock_timeout_in_any_spelling(void**) {
    unsetenv("PGOPTIONS");
    auto p = asg::pg_connect_params("dbname=asgard options='--lock-timeout=9s'", 1000);
    assert_true(last_value(p, "options") == std::string("--lock-timeout=9s -c statement_timeout=1000"));
    auto both = asg::pg_connect_params("dbname=asgard options='-cstatement_timeout=1 -c LOCK_TIMEOUT=2'", 1000);
    assert_true(!last_value(both, "options").has_value());  // nothing to add: the string's stand
}

void url_keeps_its_own_tcp_settings(void**) {
    unsetenv("PGOPTIONS");
    auto p = asg::pg_connect_params(
        "postgresql://asgard@db/asgard?connect_timeout=30&tcp_user_timeout=0&keepalives_idle=60", 1000);
    // Not given at all: the URL's own value is the one libpq uses.
    assert_true(!before_dbname(p, "connect_timeout") && !last_value(p, "connect_timeout"));
    assert_true(!last_value(p, "tcp_user_timeout"));
    assert_true(!last_value(p, "keepalives_idle"));
    assert_true(last_value(p, "keepalives_interval") == std::string("1"));
}

void empty_options_sends_no_startup_options(void**) {
    unsetenv("PGOPTIONS");
    // PgBouncer refuses -c options it does not track: options= asks for none.
    auto p = asg::pg_connect_params("postgresql://asgard@pgbouncer:6432/asgard?options=", 1000);
    assert_true(!last_value(p, "options"));
    assert_true(last_value(p, "tcp_user_timeout") == std::string("1000"));
}

void pgoptions_is_kept_and_extended(void**) {
    setenv("PGOPTIONS", "-c work_mem=64MB", 1);
    auto p = asg::pg_connect_params("dbname=asgard", 1000);
    assert_true(last_value(p, "options") == std::string("-c work_mem=64MB -c statement_timeout=1000 -c lock_timeout=500"));
    unsetenv("PGOPTIONS");
}

void bare_database_name_gets_every_deadline(void**) {
    unsetenv("PGOPTIONS");
    auto p = asg::pg_connect_params("asgard", 1000);
    assert_true(last_value(p, "dbname") == std::string("asgard"));
    assert_true(last_value(p, "options") == std::string("-c statement_timeout=1000 -c lock_timeout=500"));
}

void no_timeout_adds_no_deadline(void**) {
    unsetenv("PGOPTIONS");
    unsetenv("PGCONNECT_TIMEOUT");
    auto p = asg::pg_connect_params("postgresql://asgard@db/asgard", 0);
    assert_true(!last_value(p, "options"));
    assert_true(!last_value(p, "tcp_user_timeout"));
    assert_true(!last_value(p, "keepalives_idle"));
    assert_true(last_value(p, "connect_timeout") == std::string("5"));
    assert_true(last_value(p, "application_name") == std::string("asgard"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_gets_every_deadline),
        cmocka_unit_test(key_value_form_gets_every_deadline),
        cmocka_unit_test(url_keeps_its_own_statement_timeout_and_options),
        cmocka_unit_test(key_value_keeps_its_own_lock_timeout_in_any_spelling),
        cmocka_unit_test(url_keeps_its_own_tcp_settings),
        cmocka_unit_test(empty_options_sends_no_startup_options),
        cmocka_unit_test(pgoptions_is_kept_and_extended),
        cmocka_unit_test(bare_database_name_gets_every_deadline),
        cmocka_unit_test(no_timeout_adds_no_deadline),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
