/* Unit tests of the credential format: token generation, Authorization header parsing, 401/503 answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "asgard.h"
#include "core_probes.h"
#include "offline_core.h"

#define USER_PREFIX "asg_pat_"
#define PROJECT_PREFIX "asg_"
#define RANDOM_LENGTH 30
#define CHECKSUM_LENGTH 6

static int configure_core(void **state) {
    char err[256] = "";
    return asg_test_configure_offline_core(err, sizeof err);
}

/* Generates a token of a kind into out (capacity 64) and returns its length. */
static int generate(int kind, char out[64]) {
    int len = probe_token_generate(kind, out, 64);
    assert_true(len > 0);
    assert_int_equal((size_t)len, strlen(out));
    return len;
}

/* Parses "Bearer <token>" and returns the status; digest receives the digest on success. */
static asg_auth_status_t parse_bearer(const char *token, unsigned char digest[32]) {
    char header[128];
    int n = snprintf(header, sizeof header, "Bearer %s", token);
    assert_true(n > 0 && (size_t)n < sizeof header);
    return asg_auth_parse_header(header, (size_t)n, digest);
}

/* A base62 character different from c. */
static char other_base62(char c) { return c == 'A' ? 'B' : 'A'; }

static int is_base62(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* ---- generation ---- */

static void user_token_has_pat_prefix_and_44_chars(void **state) {
    char token[64];
    assert_int_equal(generate(ASG_CRED_USER, token), 44);
    assert_memory_equal(token, USER_PREFIX, strlen(USER_PREFIX));
    for (size_t i = strlen(USER_PREFIX); i < 44; ++i) assert_true(is_base62(token[i]));
}

static void project_key_has_asg_prefix_and_40_chars(void **state) {
    char token[64];
    assert_int_equal(generate(ASG_CRED_PROJECT, token), 40);
    assert_memory_equal(token, PROJECT_PREFIX, strlen(PROJECT_PREFIX));
}

static void project_key_body_never_contains_underscore(void **state) {
    for (int round = 0; round < 200; ++round) {
        char token[64];
        generate(ASG_CRED_PROJECT, token);
        assert_null(strchr(token + strlen(PROJECT_PREFIX), '_'));
        assert_memory_not_equal(token, USER_PREFIX, strlen(USER_PREFIX));
    }
}

static void generated_tokens_differ(void **state) {
    char a[64], b[64];
    generate(ASG_CRED_USER, a);
    generate(ASG_CRED_USER, b);
    assert_string_not_equal(a, b);
}

static void generate_refuses_too_small_buffer(void **state) {
    char token[64];
    assert_int_equal(probe_token_generate(ASG_CRED_USER, token, 44), -1);
    assert_int_equal(probe_token_generate(ASG_CRED_PROJECT, token, 40), -1);
    assert_int_equal(probe_token_generate(ASG_CRED_PROJECT, token, 41), 40);
}

/* ---- header parsing ---- */

static void absent_header_is_missing(void **state) {
    unsigned char digest[32];
    assert_int_equal(asg_auth_parse_header(NULL, 0, digest), ASG_AUTH_MISSING);
}

static void basic_scheme_is_not_bearer(void **state) {
    unsigned char digest[32];
    assert_int_equal(asg_auth_parse_header("Basic xyz", 9, digest), ASG_AUTH_NOT_BEARER);
}

static void bearer_without_token_is_malformed(void **state) {
    unsigned char digest[32];
    assert_int_equal(asg_auth_parse_header("Bearer", 6, digest), ASG_AUTH_MALFORMED);
    assert_int_equal(asg_auth_parse_header("Bearer ", 7, digest), ASG_AUTH_MALFORMED);
    assert_int_equal(asg_auth_parse_header("Bearer    ", 10, digest), ASG_AUTH_MALFORMED);
}

static void ten_kilobyte_token_is_malformed(void **state) {
    size_t len = 7 + 10 * 1024;
    char *header = malloc(len);
    assert_non_null(header);
    memcpy(header, "Bearer ", 7);
    memcpy(header + 7, USER_PREFIX, strlen(USER_PREFIX));
    memset(header + 7 + strlen(USER_PREFIX), 'a', len - 7 - strlen(USER_PREFIX));
    unsigned char digest[32];
    assert_int_equal(asg_auth_parse_header(header, len, digest), ASG_AUTH_MALFORMED);
    free(header);
}

static void token_without_asgard_prefix_is_malformed(void **state) {
    unsigned char digest[32];
    assert_int_equal(parse_bearer("ghp_0123456789012345678901234567890123456", digest), ASG_AUTH_MALFORMED);
}

static void token_with_non_base62_char_is_malformed(void **state) {
    char token[64];
    unsigned char digest[32];
    generate(ASG_CRED_PROJECT, token);
    token[10] = '-';
    assert_int_equal(parse_bearer(token, digest), ASG_AUTH_MALFORMED);
}

static void truncated_token_is_malformed(void **state) {
    char token[64];
    unsigned char digest[32];
    int len = generate(ASG_CRED_USER, token);
    token[len - 1] = '\0';
    assert_int_equal(parse_bearer(token, digest), ASG_AUTH_MALFORMED);
}

static void rejects_token_with_bad_checksum(void **state) {
    int kinds[] = {ASG_CRED_USER, ASG_CRED_PROJECT};
    for (size_t k = 0; k < 2; ++k) {
        char token[64];
        unsigned char digest[32];
        int len = generate(kinds[k], token);
        for (int i = len - CHECKSUM_LENGTH; i < len; ++i) {
            char saved = token[i];
            token[i] = other_base62(saved);
            assert_int_equal(parse_bearer(token, digest), ASG_AUTH_BAD_CHECKSUM);
            token[i] = saved;
        }
        assert_int_equal(parse_bearer(token, digest), ASG_AUTH_OK);
    }
}

static void rejects_token_with_changed_random_char(void **state) {
    int kinds[] = {ASG_CRED_USER, ASG_CRED_PROJECT};
    for (size_t k = 0; k < 2; ++k) {
        char token[64];
        unsigned char digest[32];
        int len = generate(kinds[k], token);
        int start = len - CHECKSUM_LENGTH - RANDOM_LENGTH;
        for (int i = start; i < start + RANDOM_LENGTH; ++i) {
            char saved = token[i];
            token[i] = other_base62(saved);
            assert_int_equal(parse_bearer(token, digest), ASG_AUTH_BAD_CHECKSUM);
            token[i] = saved;
        }
    }
}

static void accepts_valid_tokens_and_fills_digest(void **state) {
    int kinds[] = {ASG_CRED_USER, ASG_CRED_PROJECT};
    for (size_t k = 0; k < 2; ++k) {
        char token[64];
        unsigned char digest[32], zero[32];
        memset(digest, 0, sizeof digest);
        memset(zero, 0, sizeof zero);
        generate(kinds[k], token);
        assert_int_equal(parse_bearer(token, digest), ASG_AUTH_OK);
        assert_memory_not_equal(digest, zero, sizeof digest);
    }
}

static void same_token_gives_same_digest_and_different_tokens_differ(void **state) {
    char a[64], b[64];
    unsigned char da1[32], da2[32], db[32];
    generate(ASG_CRED_USER, a);
    generate(ASG_CRED_USER, b);
    assert_int_equal(parse_bearer(a, da1), ASG_AUTH_OK);
    assert_int_equal(parse_bearer(a, da2), ASG_AUTH_OK);
    assert_int_equal(parse_bearer(b, db), ASG_AUTH_OK);
    assert_memory_equal(da1, da2, 32);
    assert_memory_not_equal(da1, db, 32);
}

static void lower_case_bearer_scheme_is_accepted(void **state) {
    char token[64], header[128];
    unsigned char upper[32], lower[32];
    generate(ASG_CRED_PROJECT, token);
    assert_int_equal(parse_bearer(token, upper), ASG_AUTH_OK);
    int n = snprintf(header, sizeof header, "bearer %s", token);
    assert_int_equal(asg_auth_parse_header(header, (size_t)n, lower), ASG_AUTH_OK);
    assert_memory_equal(upper, lower, 32);
}

static void surrounding_spaces_around_token_are_ignored(void **state) {
    char token[64], header[128];
    unsigned char plain[32], spaced[32];
    generate(ASG_CRED_USER, token);
    assert_int_equal(parse_bearer(token, plain), ASG_AUTH_OK);
    int n = snprintf(header, sizeof header, "Bearer   %s  ", token);
    assert_int_equal(asg_auth_parse_header(header, (size_t)n, spaced), ASG_AUTH_OK);
    assert_memory_equal(plain, spaced, 32);
}

static void header_length_is_respected_not_nul(void **state) {
    char token[64], header[128];
    unsigned char digest[32];
    generate(ASG_CRED_USER, token);
    int n = snprintf(header, sizeof header, "Bearer %s", token);
    /* One byte short: the checksum is cut, so the token is no longer well-formed. */
    assert_int_equal(asg_auth_parse_header(header, (size_t)n - 1, digest), ASG_AUTH_MALFORMED);
}

/* ---- error answers ---- */

static void failed_authentication_answers_401_with_bearer_challenge(void **state) {
    asg_auth_status_t failures[] = {ASG_AUTH_MISSING,  ASG_AUTH_NOT_BEARER, ASG_AUTH_MALFORMED,
                                    ASG_AUTH_BAD_CHECKSUM, ASG_AUTH_UNKNOWN, ASG_AUTH_REVOKED,
                                    ASG_AUTH_EXPIRED, ASG_AUTH_USER_DISABLED};
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; ++i) {
        asg_http_error_t out;
        assert_int_equal(asg_auth_error(failures[i], &out), 0);
        assert_int_equal(out.http_status, 401);
        assert_memory_equal(out.www_authenticate, "Bearer", 6);
        json_error_t error;
        json_t *body = json_loadb(out.body, out.body_len, 0, &error);
        assert_non_null(body);
        assert_true(json_is_string(json_object_get(body, "error")));
        assert_true(json_is_string(json_object_get(body, "error_description")));
        assert_true(strlen(json_string_value(json_object_get(body, "error_description"))) > 0);
        json_decref(body);
        asg_free(out.body);
    }
}

static void invalid_token_challenge_names_invalid_token_error(void **state) {
    asg_http_error_t out;
    assert_int_equal(asg_auth_error(ASG_AUTH_BAD_CHECKSUM, &out), 0);
    assert_non_null(strstr(out.www_authenticate, "error=\"invalid_token\""));
    asg_free(out.body);
    assert_int_equal(asg_auth_error(ASG_AUTH_MISSING, &out), 0);
    assert_null(strstr(out.www_authenticate, "error="));
    asg_free(out.body);
}

static void each_failure_has_its_own_error_code(void **state) {
    asg_auth_status_t failures[] = {ASG_AUTH_MISSING,  ASG_AUTH_NOT_BEARER, ASG_AUTH_MALFORMED,
                                    ASG_AUTH_BAD_CHECKSUM, ASG_AUTH_UNKNOWN, ASG_AUTH_REVOKED,
                                    ASG_AUTH_EXPIRED, ASG_AUTH_UNAVAILABLE, ASG_AUTH_USER_DISABLED};
    enum { N = sizeof failures / sizeof failures[0] };
    char codes[N][64];
    for (size_t i = 0; i < N; ++i) {
        asg_http_error_t out;
        json_error_t error;
        assert_int_equal(asg_auth_error(failures[i], &out), 0);
        json_t *body = json_loadb(out.body, out.body_len, 0, &error);
        assert_non_null(body);
        snprintf(codes[i], sizeof codes[i], "%s", json_string_value(json_object_get(body, "error")));
        json_decref(body);
        asg_free(out.body);
        for (size_t j = 0; j < i; ++j) assert_string_not_equal(codes[i], codes[j]);
    }
}

static void unavailable_store_answers_503(void **state) {
    asg_http_error_t out;
    assert_int_equal(asg_auth_error(ASG_AUTH_UNAVAILABLE, &out), 0);
    assert_int_equal(out.http_status, 503);
    json_error_t error;
    json_t *body = json_loadb(out.body, out.body_len, 0, &error);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "error")), "temporarily_unavailable");
    json_decref(body);
    asg_free(out.body);
}

static void gateway_auth_errors_have_the_openai_shape_and_the_same_codes(void **state) {
    asg_auth_status_t failures[] = {ASG_AUTH_MISSING,  ASG_AUTH_NOT_BEARER, ASG_AUTH_MALFORMED,
                                    ASG_AUTH_BAD_CHECKSUM, ASG_AUTH_UNKNOWN, ASG_AUTH_REVOKED,
                                    ASG_AUTH_EXPIRED, ASG_AUTH_UNAVAILABLE, ASG_AUTH_USER_DISABLED};
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; ++i) {
        asg_http_error_t oauth, openai;
        json_error_t error;
        assert_int_equal(asg_auth_error(failures[i], &oauth), 0);
        assert_int_equal(asg_gateway_auth_error(ASG_API_OPENAI, failures[i], &openai), 0);
        assert_int_equal(openai.http_status, oauth.http_status);
        assert_string_equal(openai.www_authenticate, oauth.www_authenticate);
        json_t *a = json_loadb(oauth.body, oauth.body_len, 0, &error);
        json_t *b = json_loadb(openai.body, openai.body_len, 0, &error);
        assert_non_null(a);
        assert_non_null(b);
        json_t *e = json_object_get(b, "error");
        assert_true(json_is_object(e));
        assert_string_equal(json_string_value(json_object_get(e, "code")),
                            json_string_value(json_object_get(a, "error")));
        assert_string_equal(json_string_value(json_object_get(e, "message")),
                            json_string_value(json_object_get(a, "error_description")));
        assert_string_equal(json_string_value(json_object_get(e, "type")),
                            failures[i] == ASG_AUTH_UNAVAILABLE ? "service_unavailable" : "authentication_error");
        json_decref(a);
        json_decref(b);
        asg_free(oauth.body);
        asg_free(openai.body);
    }
}

static void gateway_auth_errors_on_anthropic_routes_have_anthropics_shape(void **state) {
    asg_http_error_t out;
    json_error_t error;
    assert_int_equal(asg_gateway_auth_error(ASG_API_ANTHROPIC, ASG_AUTH_UNKNOWN, &out), 0);
    assert_int_equal(out.http_status, 401);
    json_t *body = json_loadb(out.body, out.body_len, 0, &error);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "type")), "error");
    json_t *e = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "authentication_error");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "details"), "error_code")), "unknown_token");
    assert_non_null(json_string_value(json_object_get(e, "message")));
    json_decref(body);
    asg_free(out.body);
}

static void throttled_authentication_answers_429_in_either_shape(void **state) {
    asg_http_error_t out;
    json_error_t error;
    assert_int_equal(asg_auth_throttled_error(1, 42, &out), 0);
    assert_int_equal(out.http_status, 429);
    assert_string_equal(out.www_authenticate, "");
    json_t *body = json_loadb(out.body, out.body_len, 0, &error);
    assert_non_null(body);
    json_t *e = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "too_many_failed_authentications");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "rate_limit_error");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "retry after 42 s"));
    json_decref(body);
    asg_free(out.body);

    assert_int_equal(asg_auth_throttled_error(0, 7, &out), 0);
    assert_int_equal(out.http_status, 429);
    body = json_loadb(out.body, out.body_len, 0, &error);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "error")), "too_many_failed_authentications");
    assert_non_null(strstr(json_string_value(json_object_get(body, "error_description")), "retry after 7 s"));
    json_decref(body);
    asg_free(out.body);
}

/* ---- cached principals ---- */

static void expired_principal_is_expired(void **state) {
    asg_principal_t p;
    memset(&p, 0, sizeof p);
    p.status = ASG_AUTH_OK;
    p.expires_at_ms = 1000;
    assert_int_equal(asg_auth_effective_status(&p, 1000), ASG_AUTH_EXPIRED);
    assert_int_equal(asg_auth_effective_status(&p, 5000), ASG_AUTH_EXPIRED);
    assert_int_equal(asg_auth_effective_status(&p, 999), ASG_AUTH_OK);
}

static void principal_without_expiry_never_expires(void **state) {
    asg_principal_t p;
    memset(&p, 0, sizeof p);
    p.status = ASG_AUTH_OK;
    assert_int_equal(asg_auth_effective_status(&p, INT64_MAX), ASG_AUTH_OK);
}

static void revoked_principal_stays_revoked_after_expiry(void **state) {
    asg_principal_t p;
    memset(&p, 0, sizeof p);
    p.status = ASG_AUTH_REVOKED;
    p.expires_at_ms = 1000;
    assert_int_equal(asg_auth_effective_status(&p, 5000), ASG_AUTH_REVOKED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_token_has_pat_prefix_and_44_chars),
        cmocka_unit_test(project_key_has_asg_prefix_and_40_chars),
        cmocka_unit_test(project_key_body_never_contains_underscore),
        cmocka_unit_test(generated_tokens_differ),
        cmocka_unit_test(generate_refuses_too_small_buffer),
        cmocka_unit_test(absent_header_is_missing),
        cmocka_unit_test(basic_scheme_is_not_bearer),
        cmocka_unit_test(bearer_without_token_is_malformed),
        cmocka_unit_test(ten_kilobyte_token_is_malformed),
        cmocka_unit_test(token_without_asgard_prefix_is_malformed),
        cmocka_unit_test(token_with_non_base62_char_is_malformed),
        cmocka_unit_test(truncated_token_is_malformed),
        cmocka_unit_test(rejects_token_with_bad_checksum),
        cmocka_unit_test(rejects_token_with_changed_random_char),
        cmocka_unit_test(accepts_valid_tokens_and_fills_digest),
        cmocka_unit_test(same_token_gives_same_digest_and_different_tokens_differ),
        cmocka_unit_test(lower_case_bearer_scheme_is_accepted),
        cmocka_unit_test(surrounding_spaces_around_token_are_ignored),
        cmocka_unit_test(header_length_is_respected_not_nul),
        cmocka_unit_test(failed_authentication_answers_401_with_bearer_challenge),
        cmocka_unit_test(invalid_token_challenge_names_invalid_token_error),
        cmocka_unit_test(each_failure_has_its_own_error_code),
        cmocka_unit_test(unavailable_store_answers_503),
        cmocka_unit_test(gateway_auth_errors_have_the_openai_shape_and_the_same_codes),
        cmocka_unit_test(gateway_auth_errors_on_anthropic_routes_have_anthropics_shape),
        cmocka_unit_test(throttled_authentication_answers_429_in_either_shape),
        cmocka_unit_test(expired_principal_is_expired),
        cmocka_unit_test(principal_without_expiry_never_expires),
        cmocka_unit_test(revoked_principal_stays_revoked_after_expiry),
    };
    return cmocka_run_group_tests(tests, configure_core, NULL);
}
