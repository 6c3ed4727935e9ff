/* Configures the core for tests and fuzzing without any server: an unreachable database and
 * Redis (nothing may reach them: calls run with allow_io = 0) and a fixed master key. */
#ifndef ASGARD_OFFLINE_CORE_H
#define ASGARD_OFFLINE_CORE_H

#include <string.h>

#include "asgard.h"

static const char kOfflineMasterKey[32] = "0123456789abcdef0123456789abcdef";

/* Returns 0, or -1 with the reason in err. */
static inline int asg_test_configure_offline_core(char *err, size_t errlen) {
    asg_core_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.database_url = "postgresql://invalid";
    cfg.redis_host = "127.0.0.1";
    cfg.redis_port = 1;
    cfg.master_key = kOfflineMasterKey;
    cfg.master_key_len = sizeof kOfflineMasterKey;
    cfg.session_ttl_ms = 3600000;
    cfg.io_timeout_ms = 100;
    return asg_core_configure(&cfg, err, errlen);
}

#endif
