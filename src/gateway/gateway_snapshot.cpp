// Reading the gateway configuration tables into a snapshot, and swapping it atomically.
#include "gateway/gateway_snapshot.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>

#include <re2/re2.h>

#include "config/runtime_config.hpp"
#include "util/aead.hpp"

namespace asg {

namespace {
std::mutex g_mutex;
std::shared_ptr<const GatewaySnapshot> g_snapshot;
std::atomic<std::int64_t> g_confirmed_ms{0};  // when PostgreSQL last confirmed g_snapshot current
std::atomic<std::uint64_t> g_generation{0};    // how often g_snapshot was replaced

std::set<std::string> parse_text_array(const std::string& text) {
    std::set<std::string> out;
    std::string item;
    for (char c : text) {
        if (c == '{' || c == '}' || c == '"') continue;
        if (c == ',') {
            out.insert(item);
            item.clear();
        } else {
            item += c;
        }
    }
    if (!item.empty()) out.insert(item);
    return out;
}
}  // namespace

CompiledPattern compile_pattern(const std::string& name, const std::string& pattern) {
    RE2::Options options;
    options.set_max_mem(kPatternMaxMem);
    options.set_log_errors(false);  // RE2 would write to stderr; the error is kept instead
    options.set_case_sensitive(false);
    auto re = std::make_shared<const RE2>(pattern, options);
    if (!re->ok()) return {name, nullptr, re->error()};
    return {name, std::move(re), ""};
}

RateLimit GatewaySnapshot::limit_for(std::string_view project) const {
    auto it = project_limits.find(project);
    return it == project_limits.end() ? default_limit : it->second;
}

std::string GatewaySnapshot::guardrail_action(const std::string& data_class, const std::string& detector) const {
    auto it = guardrail_actions.find(data_class + "/" + detector);
    return it == guardrail_actions.end() ? "block" : it->second;
}

std::shared_ptr<const GatewaySnapshot> load_gateway_snapshot(PgConnection& db) {
    auto s = std::make_shared<GatewaySnapshot>();
    s->version = db.exec("SELECT version FROM gateway_state").int64(0, 0);
    auto providers = db.exec("SELECT name, upstream, tls, host, path, key_nonce, key_ciphertext, api FROM providers");
    for (int i = 0; i < providers.rows(); ++i) {
        ProviderEntry p;
        p.name = providers.text(i, 0);
        p.origin = std::string(providers.boolean(i, 2) ? "https://" : "http://") + providers.text(i, 1);
        p.api = providers.text(i, 7) == "anthropic" ? Api::anthropic : Api::openai;
        // An OpenAI provider's path is its chat completions path: the base is what precedes it.
        p.base = providers.text(i, 4);
        constexpr std::string_view chat = "/chat/completions";
        if (p.base.size() >= chat.size() && p.base.compare(p.base.size() - chat.size(), chat.size(), chat) == 0)
            p.base.resize(p.base.size() - chat.size());
        while (!p.base.empty() && p.base.back() == '/') p.base.pop_back();
        p.host = providers.text(i, 3);
        Sealed sealed{pg_bytea_bytes(providers.text(i, 5)), pg_bytea_bytes(providers.text(i, 6))};
        p.key = aead_open(runtime_config()->secrets_key, sealed, "provider/" + p.name);
        s->providers[p.name] = p;
    }
    auto models = db.exec("SELECT alias, provider, upstream_model, price_in::float8, price_out::float8,"
                          " data_classes::text, max_output_tokens, extract(epoch FROM created_at)::bigint FROM models");
    for (int i = 0; i < models.rows(); ++i) {
        ModelEntry m{models.text(i, 0), models.text(i, 1), models.text(i, 2),
                     std::atof(models.text(i, 3).c_str()), std::atof(models.text(i, 4).c_str()),
                     parse_text_array(models.text(i, 5)), models.int64(i, 6), models.int64(i, 7)};
        s->models[m.alias] = m;
    }
    auto kills = db.exec("SELECT scope, target, coalesce(reason, '') FROM kill_switches");
    for (int i = 0; i < kills.rows(); ++i) {
        std::string scope = kills.text(i, 0);
        if (scope == "global") {
            s->kill_global = true;
            s->kill_global_reason = kills.text(i, 2);
        } else if (scope == "project") {
            s->kill_projects[kills.text(i, 1)] = kills.text(i, 2);
        } else {
            s->kill_models[kills.text(i, 1)] = kills.text(i, 2);
        }
    }
    auto limits = db.exec("SELECT project_id, rpm, tpm FROM rate_limits");
    for (int i = 0; i < limits.rows(); ++i) {
        RateLimit l{limits.int64(i, 1), limits.int64(i, 2)};
        if (limits.text(i, 0).empty()) s->default_limit = l;
        else s->project_limits[limits.text(i, 0)] = l;
    }
    auto rules = db.exec("SELECT data_class, detector, action FROM guardrail_rules");
    for (int i = 0; i < rules.rows(); ++i) s->guardrail_actions[rules.text(i, 0) + "/" + rules.text(i, 1)] = rules.text(i, 2);
    auto patterns = db.exec("SELECT name, pattern FROM guardrail_patterns ORDER BY name");
    for (int i = 0; i < patterns.rows(); ++i) s->patterns.push_back(compile_pattern(patterns.text(i, 0), patterns.text(i, 1)));
    auto settings = db.exec("SELECT key, value FROM settings WHERE key LIKE 'gateway.%'");
    for (int i = 0; i < settings.rows(); ++i) {
        if (settings.text(i, 0) == "gateway.default_data_class") s->default_data_class = settings.text(i, 1);
        if (settings.text(i, 0) == "gateway.rate_limit_fail_open") s->rate_limit_fail_open = settings.text(i, 1) == "true";
    }
    auto budgets = db.exec("SELECT project_id, (monthly_usd * 1000000)::bigint FROM budgets");
    for (int i = 0; i < budgets.rows(); ++i) s->budgets_micro_usd[budgets.text(i, 0)] = budgets.int64(i, 1);
    return s;
}

bool gateway_snapshot_fresh(std::int64_t now, std::int64_t max_age_ms) {
    return now - g_confirmed_ms.load(std::memory_order_acquire) <= max_age_ms;
}

std::shared_ptr<const GatewaySnapshot> current_gateway_snapshot() {
    // Each thread keeps its copy until the snapshot is replaced: no lock on every call.
    thread_local std::shared_ptr<const GatewaySnapshot> copy;
    thread_local std::uint64_t copy_generation = ~std::uint64_t{0};
    std::uint64_t generation = g_generation.load(std::memory_order_acquire);
    if (generation != copy_generation) {
        std::lock_guard<std::mutex> lock(g_mutex);
        copy = g_snapshot;
        copy_generation = g_generation.load(std::memory_order_relaxed);
    }
    return copy;
}

bool refresh_gateway_snapshot(std::string& error) {
    try {
        PgConnection& db = thread_pg();
        auto current = current_gateway_snapshot();
        std::int64_t version = db.exec("SELECT version FROM gateway_state").int64(0, 0);
        if (!current || current->version != version) {
            auto next = load_gateway_snapshot(db);
            std::lock_guard<std::mutex> lock(g_mutex);
            g_snapshot = std::move(next);
            g_generation.fetch_add(1, std::memory_order_release);
        }
        g_confirmed_ms.store(now_ms(), std::memory_order_release);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

}  // namespace asg
