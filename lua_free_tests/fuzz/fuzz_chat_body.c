/* libFuzzer target: the gateway's chat body handling (simdjson parse, member checks, guardrail
 * redaction of every text, the rewrite for the provider) over arbitrary bodies. It must never
 * crash; what it writes must be accepted again; and when nothing was redacted, rewriting its own
 * output must change nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asgard.h"
#include "core_probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    if (probe_chat_body((const char *) data, size, &first, &first_len)) {
        if (first == NULL) abort();
        if (!probe_chat_body(first, first_len, &second, &second_len)) abort();
        if (strstr(first, "[REDACTED:") == NULL &&
            (second_len != first_len || memcmp(first, second, first_len) != 0)) {
            abort();
        }
    }
    asg_free(first);
    asg_free(second);
    return 0;
}
