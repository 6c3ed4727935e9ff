/* Unit tests of asg_session_cache_key: the shared-cache key the glue derives from an Mcp-Session-Id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "asgard.h"
#include "offline_core.h"

static int configure_core(void **state) {
    char err[256] = "";
    return asg_test_configure_offline_core(err, sizeof err);
}

static void key(const char *sid, unsigned char out[32]) {
    memset(out, 0xAA, 32);
    asg_session_cache_key(sid, strlen(sid), out);
}

static void cache_key_is_deterministic(void **state) {
    unsigned char a[32], b[32];
    key("AQAAAAAAAAAHAAABi8.abcdef", a);
    key("AQAAAAAAAAAHAAABi8.abcdef", b);
    assert_memory_equal(a, b, 32);
}

static void cache_key_differs_between_ids(void **state) {
    unsigned char a[32], b[32], c[32];
    key("AQAAAAAAAAAHAAABi8.abcdef", a);
    key("AQAAAAAAAAAHAAABi8.abcdeg", b);
    key("AQAAAAAAAAAHAAABi8.abcde", c);
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32);
    assert_memory_not_equal(b, c, 32);
}

static void cache_key_uses_the_length_not_the_nul(void **state) {
    const char sid[] = "session-one-and-more";
    unsigned char whole[32], prefix[32], direct[32];
    asg_session_cache_key(sid, strlen(sid), whole);
    asg_session_cache_key(sid, 11, prefix);
    key("session-one", direct);
    assert_memory_not_equal(whole, prefix, 32);
    assert_memory_equal(prefix, direct, 32);
}

static void cache_key_of_empty_id_is_defined(void **state) {
    unsigned char a[32], b[32];
    asg_session_cache_key("", 0, a);
    asg_session_cache_key(NULL, 0, b);
    assert_memory_equal(a, b, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cache_key_is_deterministic),
        cmocka_unit_test(cache_key_differs_between_ids),
        cmocka_unit_test(cache_key_uses_the_length_not_the_nul),
        cmocka_unit_test(cache_key_of_empty_id_is_defined),
    };
    return cmocka_run_group_tests(tests, configure_core, NULL);
}
