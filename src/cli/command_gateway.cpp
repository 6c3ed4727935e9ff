// asgard provider | model | killswitch | ratelimit | guardrail: the gateway's catalog and controls.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "config/runtime_config.hpp"
#include "gateway/gateway_snapshot.hpp"
#include "operations/admin_operations.hpp"
#include "operations/catalog_operations.hpp"
#include "store/audit_log.hpp"
#include "store/kill_switch_store.hpp"
#include "util/aead.hpp"

namespace asg::cli {

static const char kProviderHelp[] =
    "usage: asgard provider add NAME --upstream UPSTREAM --key-file F [--api openai|anthropic] [--tls] [--host HOST] [--path PATH]\n"
    "       asgard provider key NAME --key-file F     (rotate the key; the gateway uses it within a second)\n"
    "       asgard provider list [--json]\n"
    "       asgard provider remove NAME\n"
    "UPSTREAM names an nginx upstream{} block (see conf.examples/production.conf). The key is stored\n"
    "encrypted under the master key and never reaches a client. --host is the Host header and TLS\n"
    "name sent to the provider (default: the upstream name). --api is the API the provider speaks\n"
    "(default openai): an openai provider serves /chat/completions, /responses and /embeddings, and\n"
    "its --path is its chat completions path (default /v1/chat/completions; the others are its\n"
    "siblings); an anthropic provider serves /messages and /messages/count_tokens under --path\n"
    "(default /v1). A model is called only at the routes of its provider's API.\n";
static const char kModelHelp[] =
    "usage: asgard model add ALIAS --provider P --upstream-model M --price-in USD_PER_MTOK --price-out USD_PER_MTOK\n"
    "                        --data-classes public,internal[,confidential,restricted] [--max-output-tokens N]\n"
    "       asgard model list [--json]\n"
    "       asgard model remove ALIAS\n";
static const char kKillHelp[] =
    "usage: asgard killswitch on|off [--project P | --model M] [--reason TEXT]\n"
    "       asgard killswitch status [--json]\n"
    "Without --project or --model the switch is global. Every node obeys within a second.\n";
static const char kRateHelp[] =
    "usage: asgard ratelimit set [--project P] --rpm N --tpm N   (no --project: the default of every key)\n"
    "       asgard ratelimit list [--json]\n";
static const char kGuardHelp[] =
    "usage: asgard guardrail list [--json]\n"
    "       asgard guardrail set --data-class public|internal|confidential|restricted\n"
    "                            --detector secrets|email|card|patterns --action block|redact|allow\n"
    "       asgard guardrail pattern add NAME REGEX       (RE2 syntax, case-insensitive)\n"
    "       asgard guardrail pattern remove NAME\n"
    "Detectors read every key and string of the request body (not base64 images, audio or files).\n"
    "Patterns are RE2 (linear time; no backreferences or lookaround); add refuses one RE2 cannot compile.\n";

static void need_master_key(const CliSettings& settings) {
    if (settings.master_key_file.empty())
        throw CliError("this needs the master key: set master_key_file in the config file (.asgard/asgard.conf or /etc/asgard/asgard.conf)");
    auto config = std::make_shared<RuntimeConfig>();
    config->database_url = settings.database_url;
    config->master_key = load_master_key(settings.master_key_file);
    set_runtime_config(config);
}

static std::string read_key_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CliError("cannot read " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string key = buffer.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.empty()) throw CliError(path + " is empty");
    if (key.find('\n') != std::string::npos) throw CliError(path + " must hold one line: the provider's API key");
    return key;
}

static void audit(PgConnection& db, const std::string& tool, const std::string& detail) {
    audit_append(db, {cli_actor(), std::nullopt, tool, std::nullopt, "ok", detail});
}

// Rows as JSON objects (--json) or a table, the headers upper-cased.
static void table_out(const Args& args, const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
    if (args.flag("json")) {
        Json list = json_own(json_array());
        for (const auto& row : rows) {
            json_t* o = json_object();
            for (std::size_t c = 0; c < headers.size(); ++c) json_object_set_new(o, headers[c].c_str(), json_string(row[c].c_str()));
            json_array_append_new(list.get(), o);
        }
        print_json(list.get());
        return;
    }
    std::vector<std::string> upper;
    for (auto h : headers) {
        for (auto& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        upper.push_back(h);
    }
    print_table(upper, rows);
}

static void rows_out(const Args& args, PgConnection& db, const std::string& sql, const std::vector<std::string>& headers) {
    auto r = db.exec(sql);
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < r.rows(); ++i) {
        std::vector<std::string> row;
        for (std::size_t c = 0; c < headers.size(); ++c) row.push_back(r.text(i, static_cast<int>(c)));
        rows.push_back(row);
    }
    table_out(args, headers, rows);
}

static std::string number_arg(const Args& args, const char* name, bool integer) {
    auto v = args.option(name);
    if (!v) throw CliError(std::string("--") + name + " is required", 2);
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end || d < 0 || (integer && (d != static_cast<long long>(d) || d < 1)) || d > 1e12)
        throw CliError(std::string("--") + name + (integer ? " must be a positive whole number" : " must be a non-negative number"), 2);
    return *v;
}

int run_provider(const CliSettings& settings, const Words& words) {
    Args args(words, {"upstream", "key-file", "host", "path", "api"}, {"tls", "json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kProviderHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    // A refusal is the operator's input (exit 2), except what is not there (exit 1).
    auto refused = [](const RequestRefused& e) { return CliError(e.what(), e.code == "not_found" || e.code == "invalid_state" ? 1 : 2); };
    if (verb == "add") {
        args.expect_positionals(2, "asgard provider add NAME --upstream UPSTREAM --key-file F");
        auto upstream = args.option("upstream");
        auto key_file = args.option("key-file");
        if (!upstream || !key_file) throw CliError("--upstream and --key-file are required", 2);
        ProviderRow p;
        p.name = args.positional()[1];
        p.upstream = *upstream;
        p.api = args.option("api").value_or("openai");
        p.host = args.option("host").value_or("");
        p.path = args.option("path").value_or("");
        p.tls = args.flag("tls");
        if (p.api != "openai" && p.api != "anthropic") throw CliError("--api must be openai or anthropic", 2);
        need_master_key(settings);
        std::string key = read_key_file(*key_file);
        try {
            p = add_provider(db, p, key, cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("provider %s (%s) -> %s://%s%s (key stored encrypted, %s)\n", p.name.c_str(), p.api.c_str(), p.tls ? "https" : "http",
                    p.upstream.c_str(), p.path.c_str(), p.key_fingerprint.c_str());
        return 0;
    }
    if (verb == "key") {
        args.expect_positionals(2, "asgard provider key NAME --key-file F");
        auto key_file = args.option("key-file");
        if (!key_file) throw CliError("--key-file is required", 2);
        need_master_key(settings);
        ProviderRow p;
        try {
            p = rotate_provider_key(db, args.positional()[1], read_key_file(*key_file), cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("provider %s: new key stored encrypted (%s); the gateway uses it within a second\n", p.name.c_str(), p.key_fingerprint.c_str());
        return 0;
    }
    if (verb == "list") {
        std::vector<std::vector<std::string>> rows;
        for (const ProviderRow& p : list_providers(db))
            rows.push_back({p.name, p.api, p.upstream, p.tls ? "https" : "http", p.host, p.path, p.key_fingerprint.empty() ? "-" : p.key_fingerprint});
        table_out(args, {"name", "api", "upstream", "scheme", "host", "path", "key_fingerprint"}, rows);
        return 0;
    }
    if (verb == "remove") {
        args.expect_positionals(2, "asgard provider remove NAME");
        try {
            remove_provider(db, args.positional()[1], cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("provider %s removed\n", args.positional()[1].c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'provider " + verb + "' (see asgard provider --help)", 2);
}

int run_model(const CliSettings& settings, const Words& words) {
    Args args(words, {"provider", "upstream-model", "price-in", "price-out", "data-classes", "max-output-tokens"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kModelHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    auto refused = [](const RequestRefused& e) { return CliError(e.what(), e.code == "not_found" ? 1 : 2); };
    if (verb == "add") {
        args.expect_positionals(2, "asgard model add ALIAS --provider P --upstream-model M --price-in X --price-out Y --data-classes C");
        auto provider = args.option("provider");
        auto upstream_model = args.option("upstream-model");
        auto classes = args.option("data-classes");
        if (!provider || !upstream_model || !classes) throw CliError("--provider, --upstream-model and --data-classes are required", 2);
        auto price_in = args.option("price-in"), price_out = args.option("price-out");
        if (!price_in || !price_out) throw CliError("--price-in and --price-out are required (USD per million tokens)", 2);
        ModelRow m;
        m.alias = args.positional()[1];
        m.provider = *provider;
        m.upstream_model = *upstream_model;
        m.price_in = *price_in;
        m.price_out = *price_out;
        for (std::size_t start = 0;;) {
            std::size_t comma = classes->find(',', start);
            m.data_classes.push_back(classes->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        m.max_output_tokens = args.option("max-output-tokens") ? std::stoi(number_arg(args, "max-output-tokens", true)) : 4096;
        try {
            m = add_model(db, m, cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("model %s -> %s/%s (in %s, out %s USD per million tokens; %s)\n", m.alias.c_str(), m.provider.c_str(),
                    m.upstream_model.c_str(), m.price_in.c_str(), m.price_out.c_str(), classes->c_str());
        return 0;
    }
    if (verb == "list") {
        std::vector<std::vector<std::string>> rows;
        for (const ModelRow& m : list_models(db)) {
            std::string classes;
            for (const auto& c : m.data_classes) classes += (classes.empty() ? "" : ",") + c;
            rows.push_back({m.alias, m.provider, m.upstream_model, m.price_in, m.price_out, classes, std::to_string(m.max_output_tokens)});
        }
        table_out(args, {"alias", "provider", "upstream_model", "price_in", "price_out", "data_classes", "max_output_tokens"}, rows);
        return 0;
    }
    if (verb == "remove") {
        args.expect_positionals(2, "asgard model remove ALIAS");
        try {
            remove_model(db, args.positional()[1], cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("model %s removed\n", args.positional()[1].c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'model " + verb + "' (see asgard model --help)", 2);
}

int run_killswitch(const CliSettings& settings, const Words& words) {
    Args args(words, {"project", "model", "reason"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kKillHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "status") {
        std::vector<std::vector<std::string>> rows;
        for (const auto& k : list_kill_switches(db)) rows.push_back({k.scope, k.target, k.reason, k.set_by, k.set_at});
        table_out(args, {"scope", "target", "reason", "set_by", "set_at"}, rows);
        return 0;
    }
    if (verb != "on" && verb != "off") throw CliError("unknown subcommand 'killswitch " + verb + "' (see asgard killswitch --help)", 2);
    args.expect_positionals(1, "asgard killswitch on|off [--project P | --model M]");
    auto project = args.option("project");
    auto model = args.option("model");
    if (project && model) throw CliError("--project or --model, not both", 2);
    std::string scope = project ? "project" : model ? "model" : "global";
    std::string target = project ? *project : model ? *model : "";
    bool changed;
    try {
        changed = set_kill_switch(db, scope, target, verb == "on", args.option("reason"), cli_actor());
    } catch (const RequestRefused& e) {
        throw CliError(e.what(), 2);
    }
    std::printf("kill switch %s: %s%s%s\n", verb.c_str(), scope.c_str(), target.empty() ? "" : (" " + target).c_str(),
                changed ? "" : " (it was not on)");
    return 0;
}

int run_ratelimit(const CliSettings& settings, const Words& words) {
    Args args(words, {"project", "rpm", "tpm"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kRateHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        rows_out(args, db, "SELECT CASE WHEN project_id = '' THEN '(default)' ELSE project_id END, rpm::text, tpm::text FROM rate_limits ORDER BY 1",
                 {"project", "rpm", "tpm"});
        return 0;
    }
    if (verb == "set") {
        args.expect_positionals(1, "asgard ratelimit set [--project P] --rpm N --tpm N");
        std::string rpm = number_arg(args, "rpm", true), tpm = number_arg(args, "tpm", true);
        std::string project = args.option("project").value_or("");
        try {
            set_rate_limit(db, project, static_cast<long long>(std::strtod(rpm.c_str(), nullptr)),
                           static_cast<long long>(std::strtod(tpm.c_str(), nullptr)), cli_actor());
        } catch (const RequestRefused& e) {
            throw CliError(e.what(), 2);
        }
        std::printf("rate limit %s: %s requests and %s tokens per minute per key\n", project.empty() ? "(default)" : project.c_str(), rpm.c_str(), tpm.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'ratelimit " + verb + "' (see asgard ratelimit --help)", 2);
}

int run_guardrail(const CliSettings& settings, const Words& words) {
    Args args(words, {"data-class", "detector", "action"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kGuardHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        rows_out(args, db, "SELECT 'rule', data_class || '/' || detector, action FROM guardrail_rules"
                           " UNION ALL SELECT 'pattern', name, pattern FROM guardrail_patterns ORDER BY 1, 2",
                 {"kind", "what", "action"});
        return 0;
    }
    if (verb == "set") {
        args.expect_positionals(1, "asgard guardrail set --data-class C --detector D --action A");
        auto c = args.option("data-class"), d = args.option("detector"), a = args.option("action");
        if (!c || !d || !a) throw CliError("--data-class, --detector and --action are required", 2);
        try {
            db.exec("INSERT INTO guardrail_rules (data_class, detector, action) VALUES ($1, $2, $3)"
                    " ON CONFLICT (data_class, detector) DO UPDATE SET action = EXCLUDED.action", {*c, *d, *a});
        } catch (const PgError& e) {
            if (e.sqlstate == "23514") throw CliError("see asgard guardrail --help for the data classes, detectors and actions", 2);
            throw;
        }
        audit(db, "guardrail.set", json_to_string(json_own(json_pack("{s:s,s:s,s:s}", "data_class", c->c_str(), "detector", d->c_str(), "action", a->c_str())).get()));
        std::printf("guardrail %s/%s: %s\n", c->c_str(), d->c_str(), a->c_str());
        return 0;
    }
    if (verb == "pattern") {
        std::string sub = args.positional_at(1, "add or remove");
        if (sub == "add") {
            args.expect_positionals(4, "asgard guardrail pattern add NAME REGEX");
            CompiledPattern compiled = compile_pattern(args.positional()[2], args.positional()[3]);
            if (!compiled.regex) throw CliError("not a valid RE2 regular expression: " + compiled.error, 2);
            try {
                db.exec("INSERT INTO guardrail_patterns (name, pattern) VALUES ($1, $2)"
                        " ON CONFLICT (name) DO UPDATE SET pattern = EXCLUDED.pattern", {args.positional()[2], args.positional()[3]});
            } catch (const PgError& e) {
                if (e.sqlstate == "23514") throw CliError("pattern names are lower-case letters, digits, '_' and '-'", 2);
                throw;
            }
            audit(db, "guardrail.pattern.add", json_to_string(json_own(json_pack("{s:s}", "name", args.positional()[2].c_str())).get()));
            std::printf("pattern %s added\n", args.positional()[2].c_str());
            return 0;
        }
        if (sub == "remove") {
            args.expect_positionals(3, "asgard guardrail pattern remove NAME");
            auto r = db.exec("DELETE FROM guardrail_patterns WHERE name = $1", {args.positional()[2]});
            if (r.command_tuples() != "1") throw CliError("no pattern " + args.positional()[2]);
            audit(db, "guardrail.pattern.remove", json_to_string(json_own(json_pack("{s:s}", "name", args.positional()[2].c_str())).get()));
            std::printf("pattern %s removed\n", args.positional()[2].c_str());
            return 0;
        }
    }
    throw CliError("unknown subcommand 'guardrail " + verb + "' (see asgard guardrail --help)", 2);
}

}  // namespace asg::cli
