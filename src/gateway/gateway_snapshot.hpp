// The gateway's configuration as one immutable snapshot per worker, reloaded from PostgreSQL when
// the gateway_state version changes (polled every few hundred milliseconds from the thread pool).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_route.hpp"
#include "store/pg_connection.hpp"

namespace re2 {
class RE2;
}

namespace asg {

struct ModelEntry {
    std::string alias, provider, upstream_model;
    double price_in = 0, price_out = 0;  // USD per million tokens
    std::set<std::string> data_classes;
    std::int64_t max_output_tokens = 4096;
    std::int64_t created = 0;  // when the model was added (Unix seconds): the OpenAI list's "created"
};

struct ProviderEntry {
    std::string name, origin, base, host, key;  // origin: scheme://upstream; base: the API's path; key decrypted
    Api api = Api::openai;
    // The provider's URL for a route of its family: origin + base + the route's endpoint.
    std::string url(Route route) const { return origin + base + std::string(route_info(route).endpoint); }
};

// An operator pattern, compiled once per snapshot by RE2 (linear time, NUL-safe). A stored pattern
// RE2 refuses (written before RE2, or by hand) keeps its error: calls it would scan are refused.
struct CompiledPattern {
    std::string name;
    std::shared_ptr<const re2::RE2> regex;  // nullptr when it did not compile
    std::string error;                      // RE2's message when it did not compile (quotes the pattern: not for clients)
};

// Compiles an operator pattern the way the gateway runs it: RE2, case-insensitive, at most
// kPatternMaxMem bytes of compiled program and DFA cache. error gets RE2's message on failure.
constexpr std::int64_t kPatternMaxMem = 8 << 20;
CompiledPattern compile_pattern(const std::string& name, const std::string& pattern);

struct RateLimit {
    std::int64_t rpm = 600, tpm = 1000000;
};

struct GatewaySnapshot {
    std::int64_t version = 0;
    std::map<std::string, ModelEntry, std::less<>> models;
    std::map<std::string, ProviderEntry, std::less<>> providers;
    bool kill_global = false;
    std::string kill_global_reason;
    std::map<std::string, std::string, std::less<>> kill_projects, kill_models;  // target -> reason
    RateLimit default_limit;
    std::map<std::string, RateLimit, std::less<>> project_limits;
    std::map<std::string, std::string> guardrail_actions;  // "class/detector" -> block|redact|allow
    std::vector<CompiledPattern> patterns;
    std::string default_data_class;
    bool rate_limit_fail_open = false;
    std::map<std::string, std::int64_t, std::less<>> budgets_micro_usd;  // project -> monthly budget

    RateLimit limit_for(std::string_view project) const;
    std::string guardrail_action(const std::string& data_class, const std::string& detector) const;
};

// Loads a full snapshot (blocking PostgreSQL).
std::shared_ptr<const GatewaySnapshot> load_gateway_snapshot(PgConnection& db);

// The worker's current snapshot (nullptr before the first load).
std::shared_ptr<const GatewaySnapshot> current_gateway_snapshot();
// Whether the current snapshot was confirmed against PostgreSQL within max_age_ms of now.
bool gateway_snapshot_fresh(std::int64_t now_ms, std::int64_t max_age_ms);
// Checks the version and reloads when it changed (blocking; thread pool). Returns false when
// PostgreSQL could not be read (the old snapshot stays, ageing).
bool refresh_gateway_snapshot(std::string& error);

}  // namespace asg
