// What a call reserves is what the provider gets: max_tokens within the model's cap (never both
// names, never a non-integer), n from 1 to 128, and an input estimate over the provider's body
// that counts non-ASCII per byte. And a whole answer that is not a JSON object is malformed.
#include <string>

#include "gateway/chat_body.hpp"
#include "gateway/reservation_amount.hpp"
#include "gateway/usage_meter.hpp"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {  // cmocka's header declares C functions without saying so; after C++'s (its macros)
#include <cmocka.h>
}

using asg::ChatBody;
using asg::LimitError;
using asg::OutputLimit;

namespace {

// The limit read from a body with a model capped at 500; the error code, "" when accepted.
std::string limit_of(const std::string& body, OutputLimit& limit) {
    ChatBody chat;
    std::string error = asg::parse_chat_body(body, false, chat);
    assert_string_equal(error.c_str(), "");
    LimitError refused = asg::read_output_limit(chat, 500, "m", limit);
    return refused.code;
}

std::string provider_body_of(const std::string& body) {
    ChatBody chat;
    assert_string_equal(asg::parse_chat_body(body, false, chat).c_str(), "");
    OutputLimit limit;
    assert_string_equal(asg::read_output_limit(chat, 500, "m", limit).code.c_str(), "");
    asg::AddedLimit added{limit.forced_member, limit.per_choice};
    return asg::provider_body(body, chat, "up", nullptr, &added);
}

void reserves_the_cap_when_no_limit_is_given_and_tells_the_provider(void**) {
    OutputLimit limit;
    assert_string_equal(limit_of("{\"model\":\"m\"}", limit).c_str(), "");
    assert_int_equal(limit.per_choice, 500);
    assert_int_equal(limit.total(), 500);
    assert_string_equal(provider_body_of("{\"model\":\"m\"}").c_str(), "{\"model\":\"up\",\"max_completion_tokens\":500}");
    // A null limit is none: left out, the cap added under one name.
    assert_string_equal(provider_body_of("{\"max_tokens\":null,\"model\":\"m\"}").c_str(),
                        "{\"model\":\"up\",\"max_completion_tokens\":500}");
}

void forwards_a_limit_within_the_cap_as_it_is(void**) {
    OutputLimit limit;
    assert_string_equal(limit_of("{\"max_tokens\":500}", limit).c_str(), "");
    assert_int_equal(limit.per_choice, 500);
    assert_string_equal(provider_body_of("{\"max_tokens\":50,\"model\":\"m\"}").c_str(), "{\"max_tokens\":50,\"model\":\"up\"}");
    assert_string_equal(provider_body_of("{\"max_completion_tokens\":50,\"max_tokens\":null}").c_str(), "{\"max_completion_tokens\":50}");
}

void refuses_a_limit_above_the_cap(void**) {
    OutputLimit limit;
    assert_string_equal(limit_of("{\"max_tokens\":501}", limit).c_str(), "max_tokens_too_large");
    assert_string_equal(limit_of("{\"max_completion_tokens\":1000000}", limit).c_str(), "max_tokens_too_large");
}

void refuses_limits_that_are_not_positive_integers_or_given_twice(void**) {
    OutputLimit limit;
    for (const char* body : {"{\"max_tokens\":0}", "{\"max_tokens\":-1}", "{\"max_tokens\":1.0}", "{\"max_tokens\":1e3}",
                             "{\"max_tokens\":18446744073709551615}", "{\"max_tokens\":\"9\"}", "{\"max_tokens\":false}",
                             "{\"max_tokens\":9,\"max_completion_tokens\":9}"})
        assert_string_equal(limit_of(body, limit).c_str(), "invalid_max_tokens");
}

void multiplies_the_output_by_n_from_1_to_128(void**) {
    OutputLimit limit;
    assert_string_equal(limit_of("{\"max_tokens\":100,\"n\":4}", limit).c_str(), "");
    assert_int_equal(limit.total(), 400);
    assert_string_equal(limit_of("{\"n\":128}", limit).c_str(), "");
    assert_int_equal(limit.total(), 128 * 500);
    assert_string_equal(limit_of("{\"n\":null}", limit).c_str(), "");
    assert_int_equal(limit.choices, 1);
    for (const char* body : {"{\"n\":0}", "{\"n\":129}", "{\"n\":2.0}", "{\"n\":\"2\"}", "{\"n\":-3}"})
        assert_string_equal(limit_of(body, limit).c_str(), "invalid_n");
}

void estimates_a_third_of_a_token_per_ascii_byte_and_one_per_other_byte(void**) {
    assert_int_equal(asg::estimate_input_tokens(""), 0);
    assert_int_equal(asg::estimate_input_tokens("abc"), 1);
    assert_int_equal(asg::estimate_input_tokens("abcd"), 2);  // rounded up
    assert_int_equal(asg::estimate_input_tokens(std::string(3000, 'x')), 1000);
    // "中" is 3 UTF-8 bytes: 3 tokens, written out or escaped.
    assert_int_equal(asg::estimate_input_tokens("\xe4\xb8\xad"), 3);
    assert_int_equal(asg::estimate_input_tokens("\\u4e2d"), 3);
    // Eight bytes at a time and the tail: 37 characters "中a" (4 bytes each) = 111 + 13 tokens.
    std::string mixed;
    for (int i = 0; i < 37; ++i) mixed += "\xe4\xb8\xad" "a";
    assert_int_equal(asg::estimate_input_tokens(mixed), 37 * 3 + (37 + 2) / 3);
    assert_int_equal(asg::estimate_input_tokens(std::string(9, '\xff')), 9);
    // An escaped backslash followed by "u" is two ASCII bytes and a letter, no escape.
    assert_int_equal(asg::estimate_input_tokens("\\\\u4e2d"), 3);  // 7 ASCII bytes
}

void marks_a_whole_answer_that_is_not_an_object_malformed(void**) {
    for (const char* text : {"[1,2]", "\"text\"", "{\"id\":", "<html>bad gateway</html>"}) {
        asg::UsageMeter meter;
        meter.start(200, "application/json");
        meter.feed(text, std::char_traits<char>::length(text));
        meter.finish();
        assert_true(meter.malformed());
        meter.finish();  // once only
        assert_true(meter.malformed());
    }
    asg::UsageMeter ok;
    ok.start(200, "application/json");
    ok.feed("{\"choices\":[]}", 14);
    ok.finish();
    ok.finish();
    assert_false(ok.malformed());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserves_the_cap_when_no_limit_is_given_and_tells_the_provider),
        cmocka_unit_test(forwards_a_limit_within_the_cap_as_it_is),
        cmocka_unit_test(refuses_a_limit_above_the_cap),
        cmocka_unit_test(refuses_limits_that_are_not_positive_integers_or_given_twice),
        cmocka_unit_test(multiplies_the_output_by_n_from_1_to_128),
        cmocka_unit_test(estimates_a_third_of_a_token_per_ascii_byte_and_one_per_other_byte),
        cmocka_unit_test(marks_a_whole_answer_that_is_not_an_object_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
