/* The body the provider gets: the request's own text for every member Asgard leaves alone, the
 * provider's model name, Asgard's fields gone, include_usage forced on streams, redactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "asgard.h"
#include "core_probes.h"

/* The rewritten body, or the refusal; compared, then released. */
static void assert_rewrites(const char *body, int accepted, const char *expected) {
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(probe_chat_body(body, strlen(body), &out, &len), accepted);
    assert_non_null(out);
    assert_string_equal(out, expected);
    assert_int_equal(len, strlen(expected));
    asg_free(out);
}

static void copies_untouched_members_byte_for_byte(void **state) {
    (void) state;
    /* Spacing, escapes, number spellings and nesting inside a value are the client's. */
    assert_rewrites("{ \"messages\" : [ {\"role\":\"user\", \"content\":\"a \\\"quoted\\\" \\\\ [x] {y}\"} ] ,"
                    "\"temperature\": 1.50, \"n\":1e0, \"stop\":[\"]\", \"}\"], \"model\":\"model:default/gpt-5\"}",
                    1,
                    "{\"messages\":[ {\"role\":\"user\", \"content\":\"a \\\"quoted\\\" \\\\ [x] {y}\"} ],"
                    "\"temperature\":1.50,\"n\":1e0,\"stop\":[\"]\", \"}\"],\"model\":\"upstream-model\"}");
}

static void drops_asgard_fields_and_replaces_the_model_even_when_spelled_with_escapes(void **state) {
    (void) state;
    assert_rewrites("{\"mod\\u0065l\":\"m\",\"data\\u005fclass\":\"internal\",\"asgard\":{\"x\":1},"
                    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    1, "{\"model\":\"upstream-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
}

static void forces_include_usage_on_streams_only(void **state) {
    (void) state;
    assert_rewrites("{\"model\":\"m\",\"stream\":true,\"messages\":[]}", 1,
                    "{\"model\":\"upstream-model\",\"stream\":true,\"messages\":[],"
                    "\"stream_options\":{\"include_usage\":true}}");
    assert_rewrites("{\"stream\":true,\"stream_options\":{\"include_usage\":false,\"other\":[1, 2]},\"model\":\"m\"}", 1,
                    "{\"stream\":true,\"stream_options\":{\"other\":[1,2],\"include_usage\":true},"
                    "\"model\":\"upstream-model\"}");
    assert_rewrites("{\"stream_options\":{\"include_usage\":false},\"model\":\"m\"}", 1,
                    "{\"stream_options\":{\"include_usage\":false},\"model\":\"upstream-model\"}");
}

static void writes_redacted_members_again_and_copies_the_rest(void **state) {
    (void) state;
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":\"mail me at a.b@example.com please\"}],"
                    "\"metadata\":{\"note\":\"a.b@example.com\", \"n\": 1.50},\"temperature\": 1.50}",
                    1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"mail me at [REDACTED:email] please\"}],"
                    "\"metadata\":{\"note\":\"[REDACTED:email]\",\"n\":1.5},\"temperature\":1.50}");
}

/* Issue 14 item 4: every member the provider receives is read, not only the messages' texts. */
static void redacts_in_every_member_the_provider_receives(void **state) {
    (void) state;
    const char *cases[][2] = {
        {"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"use %s\"}}]",
         "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"use [REDACTED:secrets]\"}}]"},
        {"\"prediction\":{\"type\":\"content\",\"content\":\"%s\"}",
         "\"prediction\":{\"type\":\"content\",\"content\":\"[REDACTED:secrets]\"}"},
        {"\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{\"description\":\"%s\"}}}",
         "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{\"description\":\"[REDACTED:secrets]\"}}}"},
        {"\"metadata\":{\"k\":\"%s\"}", "\"metadata\":{\"k\":\"[REDACTED:secrets]\"}"},
        {"\"user\":\"%s\"", "\"user\":\"[REDACTED:secrets]\""},
        {"\"stop\":[\"x\",\"%s\"]", "\"stop\":[\"x\",\"[REDACTED:secrets]\"]"},
        {"\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"%s\":1}]",
         "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"[REDACTED:secrets]\":1}]"},
        {"\"messages\":[{\"role\":\"%s\",\"content\":\"hi\"}]", "\"messages\":[{\"role\":\"[REDACTED:secrets]\",\"content\":\"hi\"}]"},
        {"\"%s\":true", "\"[REDACTED:secrets]\":true"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        char member[512], body[1024], expected[1024];
        snprintf(member, sizeof member, cases[i][0], "AKIAIOSFODNN7EXAMPLE");
        snprintf(body, sizeof body, "{\"model\":\"m\",%s,\"n\":1}", member);
        snprintf(expected, sizeof expected, "{\"model\":\"upstream-model\",%s,\"n\":1}", cases[i][1]);
        assert_rewrites(body, 1, expected);
    }
}

/* An escaped NUL is a character of the text: what follows it is still read. */
static void reads_past_an_escaped_nul(void **state) {
    (void) state;
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000 AKIAIOSFODNN7EXAMPLE\"}]}", 1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000 [REDACTED:secrets]\"}]}");
}

/* Redacted keys stay one per object: one that would repeat a key of its object is numbered. */
static void keeps_redacted_keys_unique(void **state) {
    (void) state;
    assert_rewrites("{\"metadata\":{\"a@example.com\":1,\"[REDACTED:email]\":2,\"b@example.com\":3}}", 1,
                    "{\"metadata\":{\"[REDACTED:email]#2\":1,\"[REDACTED:email]\":2,\"[REDACTED:email]#3\":3}}");
    assert_rewrites("{\"a@example.com\":1,\"b@example.com\":2}", 1, "{\"[REDACTED:email]\":1,\"[REDACTED:email]#2\":2}");
}

/* Base64 payloads (image_url.url, input_audio.data, file.file_data) are not text; any other value there is. */
static void leaves_base64_payloads_alone_and_reads_other_values_there(void **state) {
    (void) state;
    const char *image = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                        "{\"url\":\"data:image/png;base64,AKIAIOSFODNN7EXAMPLE+/=\"}}]}]}";
    assert_rewrites(image, 1, image);
    const char *audio = "{\"x\":{\"input_audio\":{\"data\":\"AKIAIOSFODNN7EXAMPLE\",\"format\":\"wav\"}}}";
    assert_rewrites(audio, 1, audio);
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                    "{\"url\":\"https://x.example/?k=AKIAIOSFODNN7EXAMPLE\"}}]}]}",
                    1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                    "{\"url\":\"https://x.example/?k=[REDACTED:secrets]\"}}]}]}");
    assert_rewrites("{\"x\":{\"file\":{\"file_data\":\"mail a@example.com\"}}}", 1,
                    "{\"x\":{\"file\":{\"file_data\":\"mail [REDACTED:email]\"}}}");
}

static void finds_the_end_of_long_strings_with_escaped_quotes_anywhere(void **state) {
    (void) state;
    /* Escapes before, across and after the first bytes of a string; backslashes in runs. */
    assert_rewrites("{\"user\":\"0123456789012345678901\\\"\\\\\\\"tail \\\\\",\"model\":\"m\","
                    "\"x\":[\"a much longer text than the first bytes, with \\\"quotes\\\" and ] and }\"]}",
                    1,
                    "{\"user\":\"0123456789012345678901\\\"\\\\\\\"tail \\\\\",\"model\":\"upstream-model\","
                    "\"x\":[\"a much longer text than the first bytes, with \\\"quotes\\\" and ] and }\"]}");
}

static void redacts_a_private_key_without_its_footer_to_the_end_of_the_text(void **state) {
    (void) state;
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":\"key: -----BEGIN RSA PRIVATE KEY-----MIIE\"}]}", 1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"key: [REDACTED:secrets]\"}]}");
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":\"-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY\"}]}", 1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"[REDACTED:secrets]\"}]}");
    assert_rewrites("{\"messages\":[{\"role\":\"user\",\"content\":\"-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY----- ok\"}]}", 1,
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"[REDACTED:secrets] ok\"}]}");
}

static void keeps_an_empty_object_empty(void **state) {
    (void) state;
    assert_rewrites(" {  } ", 1, "{}");
}

static void refuses_a_member_given_twice(void **state) {
    (void) state;
    assert_rewrites("{\"model\":\"a\",\"mod\\u0065l\":\"b\"}", 0, "the request body has the member \"model\" twice");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copies_untouched_members_byte_for_byte),
        cmocka_unit_test(drops_asgard_fields_and_replaces_the_model_even_when_spelled_with_escapes),
        cmocka_unit_test(forces_include_usage_on_streams_only),
        cmocka_unit_test(writes_redacted_members_again_and_copies_the_rest),
        cmocka_unit_test(redacts_in_every_member_the_provider_receives),
        cmocka_unit_test(reads_past_an_escaped_nul),
        cmocka_unit_test(keeps_redacted_keys_unique),
        cmocka_unit_test(leaves_base64_payloads_alone_and_reads_other_values_there),
        cmocka_unit_test(finds_the_end_of_long_strings_with_escaped_quotes_anywhere),
        cmocka_unit_test(redacts_a_private_key_without_its_footer_to_the_end_of_the_text),
        cmocka_unit_test(keeps_an_empty_object_empty),
        cmocka_unit_test(refuses_a_member_given_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
