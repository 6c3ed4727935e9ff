// Hex text to bytes: from_hex, and pg_bytea_bytes reading bytea as PostgreSQL prints it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <stdexcept>
#include <string>

#include "store/pg_connection.hpp"
#include "util/crypto.hpp"

namespace {

void from_hex_reads_both_cases(void**) {
    assert_true(asg::from_hex("00ff7fA0") == std::string("\x00\xff\x7f\xa0", 4));
    assert_true(asg::from_hex("").empty());
}

void from_hex_round_trips_every_byte(void**) {
    std::string all;
    for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
    assert_true(asg::from_hex(asg::to_hex(all)) == all);
}

void from_hex_refuses_a_non_hex_character(void**) {
    bool threw = false;
    try {
        asg::from_hex("0g");
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    assert_true(threw);
}

void pg_bytea_bytes_reverses_pg_bytea(void**) {
    const std::string bytes("\x01\x00\xfe secret", 10);
    assert_true(asg::pg_bytea(bytes).rfind("\\x", 0) == 0);
    assert_true(asg::pg_bytea_bytes(asg::pg_bytea(bytes)) == bytes);
    assert_true(asg::pg_bytea_bytes("\\x").empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(from_hex_reads_both_cases),
        cmocka_unit_test(from_hex_round_trips_every_byte),
        cmocka_unit_test(from_hex_refuses_a_non_hex_character),
        cmocka_unit_test(pg_bytea_bytes_reverses_pg_bytea),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
