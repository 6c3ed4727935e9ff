// Money as text: format_usd writes integer micro-USD with six decimals; parse_usd reads a decimal
// amount back exactly (no binary float on either way).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <string>

#include "util/money.hpp"

namespace {

void format_usd_writes_six_decimals(void**) {
    assert_string_equal(asg::format_usd(0).c_str(), "0.000000");
    assert_string_equal(asg::format_usd(93).c_str(), "0.000093");  // the float printed 9.2999999999999997e-05
    assert_string_equal(asg::format_usd(50000000).c_str(), "50.000000");
    assert_string_equal(asg::format_usd(-1500000).c_str(), "-1.500000");
    assert_string_equal(asg::format_usd(INT64_MIN).c_str(), "-9223372036854.775808");
}

void parse_usd_reads_amounts_exactly(void**) {
    assert_true(asg::parse_usd("250") == 250000000);
    assert_true(asg::parse_usd("99.5") == 99500000);
    assert_true(asg::parse_usd("99.50") == 99500000);
    assert_true(asg::parse_usd("0.000093") == 93);
    assert_true(asg::parse_usd("0.1") == 100000);  // 0.1 has no exact binary float; here it is exact
    assert_true(asg::parse_usd("999999999999.999999") == 999999999999999999LL);
}

void parse_usd_refuses_what_is_not_an_amount(void**) {
    for (const char* bad : {"", "-1", "1e12", "0.0000001", "1.", ".5", "1,5", " 1", "1 ", "abc", "1.2.3", "+1", "1000000000000"})
        assert_false(asg::parse_usd(bad).has_value());
}

void parse_then_format_round_trips(void**) {
    for (const char* text : {"0.000000", "0.000093", "12.340000", "100000.000001"})
        assert_string_equal(asg::format_usd(*asg::parse_usd(text)).c_str(), text);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_usd_writes_six_decimals),
        cmocka_unit_test(parse_usd_reads_amounts_exactly),
        cmocka_unit_test(parse_usd_refuses_what_is_not_an_amount),
        cmocka_unit_test(parse_then_format_round_trips),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
