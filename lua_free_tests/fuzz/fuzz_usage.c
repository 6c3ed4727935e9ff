/* libFuzzer target: the gateway's usage meter over arbitrary provider answers (JSON and SSE),
 * fed whole and in small chunks; it must never crash and the two feedings must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "asgard.h"
#include "core_probes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *types[] = {"application/json", "text/event-stream"};
    for (int t = 0; t < 2; t++) {
        int64_t p1, c1, s1, p2, c2, s2;
        int m1, m2;
        int a = probe_usage(types[t], (const char *) data, size, 0, &p1, &c1, &s1, &m1);
        int b = probe_usage(types[t], (const char *) data, size, 3, &p2, &c2, &s2, &m2);
        if (a != b || (a && (p1 != p2 || c1 != c2)) || s1 != s2 || m1 != m2) abort();
        if (a && (p1 < 0 || c1 < 0)) abort();
    }
    return 0;
}
