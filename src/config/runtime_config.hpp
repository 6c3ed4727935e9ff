// The process-wide settings the core runs with: set once per worker, read by every thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "util/crypto.hpp"

namespace asg {

struct RuntimeConfig {
    std::string database_url;
    std::string redis_host = "127.0.0.1";
    int redis_port = 6379;
    std::string master_key;  // raw secret bytes
    std::int64_t session_ttl_ms = 24LL * 3600 * 1000;
    std::int64_t io_timeout_ms = 5000;
    // Deadlines of PostgreSQL connections (statement, lock, connect, TCP, the wait for an answer):
    // 0, none, for the CLI, whose migrations and reports may run long; nginx sets asgard_io_timeout.
    std::int64_t pg_timeout_ms = 0;

    // Keys derived from the master key, one per purpose (set by set_runtime_config).
    std::shared_ptr<const HmacKey> session_mac;
    std::string secrets_key;  // 32 bytes: AES-256-GCM key of stored secrets
};

// Reads and validates a master key file: hex (64+ digits) or 32+ raw bytes, not world-readable.
std::string load_master_key(const std::string& path);

// Installs a configuration (derives its keys). Earlier ones stay alive: readers hold plain pointers.
void set_runtime_config(std::shared_ptr<RuntimeConfig> config);
const RuntimeConfig* runtime_config();  // throws when never configured

std::int64_t now_ms();

}  // namespace asg
