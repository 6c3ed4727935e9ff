// Storage and loading of the runtime configuration and the master key.
#include "config/runtime_config.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>
#include <stdexcept>

#include "util/crypto.hpp"

namespace asg {

namespace {
std::mutex g_mutex;
std::vector<std::shared_ptr<const RuntimeConfig>> g_all;  // kept alive for readers
std::atomic<const RuntimeConfig*> g_current{nullptr};
}  // namespace

static bool decode_hex(const std::string& text, std::string& out) {
    if (text.size() % 2 != 0) return false;
    out.clear();
    for (std::size_t i = 0; i < text.size(); i += 2) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int hi = nibble(text[i]), lo = nibble(text[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return true;
}

std::string load_master_key(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        throw std::runtime_error("master key file \"" + path + "\" cannot be read");
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw std::runtime_error("master key file \"" + path +
                                 "\" is readable by group or others; chmod 600 it");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("master key file \"" + path + "\" cannot be opened");
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string raw = buffer.str();
    std::string trimmed = raw;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
        trimmed.pop_back();
    std::string decoded;
    if (trimmed.size() >= 64 && decode_hex(trimmed, decoded)) return decoded;
    if (raw.size() >= 32) return raw;
    throw std::runtime_error("master key file \"" + path +
                             "\" is too short: it needs 64 hex digits (openssl rand -hex 32)");
}

void set_runtime_config(std::shared_ptr<RuntimeConfig> config) {
    config->secrets_key = std::string(as_view(hmac_sha256(config->master_key, "asgard/secrets/v1")));
    config->session_mac = std::make_shared<HmacKey>(as_view(hmac_sha256(config->master_key, "asgard/mcp-session/v1")));
    std::lock_guard<std::mutex> lock(g_mutex);
    g_all.push_back(config);
    g_current.store(config.get(), std::memory_order_release);
}

const RuntimeConfig* runtime_config() {
    const RuntimeConfig* config = g_current.load(std::memory_order_acquire);
    if (config == nullptr) throw std::runtime_error("asgard core is not configured");
    return config;
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace asg
