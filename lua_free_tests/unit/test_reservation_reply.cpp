// EXEC's reply to a reservation is used only when every element has the type the reservation
// reads: an error inside EXEC (WRONGTYPE, a counter that is not an integer) is never read as a total.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so
#include <cmocka.h>
}

#include <hiredis/hiredis.h>

#include <string>

#include "wire_reply.hpp"
#include "gateway/reservation_reply.hpp"

using asg::classify_reservation_reply;
using asg::ReservationReply;

namespace {

ReservationReply classify(const std::string& wire, bool has_budget) {
    WireReply p(wire);
    return classify_reservation_reply(p.reply, has_budget);
}

const std::string kWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const std::string kNotInteger = "-ERR value is not an integer or out of range\r\n";

void integers_everywhere_is_a_reservation(void**) {
    assert_int_equal(classify("*4\r\n:1\r\n:1\r\n:100\r\n:1\r\n", false), (int)ReservationReply::ok);
    {
        // Without the PEXPIREs (a worker's later reservations in the same minute).
        WireReply p("*4\r\n:1\r\n:100\r\n$1\r\n0\r\n:42\r\n");
        assert_int_equal((int)classify_reservation_reply(p.reply, true, false), (int)ReservationReply::ok);
        assert_int_equal((int)classify_reservation_reply(p.reply, true, true), (int)ReservationReply::malformed);
    }
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n$5\r\nepoch\r\n:42\r\n", true), (int)ReservationReply::ok);
}

void an_error_in_a_counter_element_is_malformed(void**) {
    assert_int_equal(classify("*4\r\n" + kWrongType + ":1\r\n:100\r\n:1\r\n", false), (int)ReservationReply::malformed);
    assert_int_equal(classify("*4\r\n:1\r\n:1\r\n" + kNotInteger + ":1\r\n", false), (int)ReservationReply::malformed);
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n$5\r\nepoch\r\n" + kNotInteger, true),
                     (int)ReservationReply::malformed);
}

void an_error_in_an_expiry_element_is_malformed(void**) {
    assert_int_equal(classify("*4\r\n:1\r\n" + kWrongType + ":100\r\n:1\r\n", false), (int)ReservationReply::malformed);
    assert_int_equal(classify("*4\r\n:1\r\n:1\r\n:100\r\n" + kWrongType, false), (int)ReservationReply::malformed);
}

void a_wrong_epoch_type_is_malformed_and_a_nil_one_uninitialized(void**) {
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n$-1\r\n:42\r\n", true),
                     (int)ReservationReply::budget_uninitialized);
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n:7\r\n:42\r\n", true), (int)ReservationReply::malformed);
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n" + kWrongType + ":42\r\n", true),
                     (int)ReservationReply::malformed);
}

void an_aborted_or_missized_exec_is_malformed(void**) {
    assert_int_equal(classify("*-1\r\n", false), (int)ReservationReply::malformed);  // WATCH'd key changed
    assert_int_equal(classify("-EXECABORT Transaction discarded because of previous errors.\r\n", false),
                     (int)ReservationReply::malformed);
    assert_int_equal(classify("*4\r\n:1\r\n:1\r\n:100\r\n:1\r\n", true), (int)ReservationReply::malformed);
    assert_int_equal(classify("*6\r\n:1\r\n:1\r\n:100\r\n:1\r\n$1\r\ne\r\n:1\r\n", false), (int)ReservationReply::malformed);
    assert_int_equal(classify_reservation_reply(nullptr, false), (int)ReservationReply::malformed);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_everywhere_is_a_reservation),
        cmocka_unit_test(an_error_in_a_counter_element_is_malformed),
        cmocka_unit_test(an_error_in_an_expiry_element_is_malformed),
        cmocka_unit_test(a_wrong_epoch_type_is_malformed_and_a_nil_one_uninitialized),
        cmocka_unit_test(an_aborted_or_missized_exec_is_malformed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
