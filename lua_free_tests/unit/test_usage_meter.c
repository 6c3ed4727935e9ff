/* The gateway's usage meter: usage from JSON answers and SSE streams, whatever the chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "asgard.h"
#include "core_probes.h"

static int probe(const char *type, const char *body, size_t chunk, int64_t *p, int64_t *c, int64_t *chars, int *bad) {
    return probe_usage(type, body, strlen(body), chunk, p, c, chars, bad);
}

static void reads_usage_from_a_json_answer(void **state) {
    int64_t p, c, chars;
    int bad;
    const char *body = "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hello\"}}],"
                       "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}";
    assert_int_equal(probe("application/json", body, 0, &p, &c, &chars, &bad), 1);
    assert_int_equal(p, 12);
    assert_int_equal(c, 34);
    assert_int_equal(bad, 0);
}

static void reads_usage_from_the_sse_usage_chunk_in_any_chunking(void **state) {
    const char *body =
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n";
    for (size_t chunk = 1; chunk < 40; chunk += 7) {
        int64_t p, c, chars;
        int bad;
        assert_int_equal(probe("text/event-stream; charset=utf-8", body, chunk, &p, &c, &chars, &bad), 1);
        assert_int_equal(p, 5);
        assert_int_equal(c, 2);
        assert_int_equal(chars, 5);
    }
}

static void counts_streamed_content_when_a_stream_has_no_usage(void **state) {
    int64_t p, c, chars;
    int bad;
    const char *body = "data: {\"choices\":[{\"delta\":{\"content\":\"abcdefgh\"}}]}\n\ndata: [DONE]\n\n";
    assert_int_equal(probe("text/event-stream", body, 3, &p, &c, &chars, &bad), 0);
    assert_int_equal(chars, 8);
}

static void marks_a_truncated_json_answer_malformed(void **state) {
    int64_t p, c, chars;
    int bad;
    assert_int_equal(probe("application/json", "{\"id\": \"x\", \"choices\": [{\"mess", 0, &p, &c, &chars, &bad), 0);
    assert_int_equal(bad, 1);
}

static void ignores_negative_or_non_integer_usage(void **state) {
    int64_t p, c, chars;
    int bad;
    assert_int_equal(probe("application/json", "{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":3}}", 0, &p, &c, &chars, &bad), 0);
    assert_int_equal(probe("application/json", "{\"usage\":{\"prompt_tokens\":\"1\",\"completion_tokens\":3}}", 0, &p, &c, &chars, &bad), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_usage_from_a_json_answer),
        cmocka_unit_test(reads_usage_from_the_sse_usage_chunk_in_any_chunking),
        cmocka_unit_test(counts_streamed_content_when_a_stream_has_no_usage),
        cmocka_unit_test(marks_a_truncated_json_answer_malformed),
        cmocka_unit_test(ignores_negative_or_non_integer_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
