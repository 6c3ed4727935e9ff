// asgard seed | service: the seed library and the service catalog.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "store/audit_log.hpp"
#include "store/resource_store.hpp"
#include "store/seed_store.hpp"

namespace asg::cli {

static const char kSeedHelp[] =
    "usage: asgard seed list [--json]\n"
    "       asgard seed import DIR     add or update library files from DIR/{core,language,domain,template}/*.md\n"
    "Each file starts with front matter: id, kind, title, target, applies_to, keywords, why (see src/seed_library/).\n";
static const char kServiceHelp[] =
    "usage: asgard service list [--json]\n"
    "       asgard service set TYPE [--webhook URL] [--webhook-token TOKEN] [--price USD] [--enable|--disable]\n"
    "Review-tier types run their webhook when an admin approves a request: Asgard POSTs\n"
    "{request_id, project_id, service, params, requested_by} and expects {\"outputs\": {...}, \"secrets\": {\"NAME\": \"value\"}}.\n";

static void collect_markdown(const std::string& dir, std::vector<std::string>& out) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string path = dir + "/" + name;
        struct stat st {};
        if (stat(path.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) collect_markdown(path, out);
        else if (name.size() > 3 && name.substr(name.size() - 3) == ".md") out.push_back(path);
    }
    closedir(d);
}

int run_seed(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kSeedHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        auto files = load_seed_library(db, false);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& f : files)
                json_array_append_new(list.get(), json_pack("{s:s,s:s,s:s,s:s,s:i}", "id", f.id.c_str(), "kind", f.kind.c_str(),
                                                            "title", f.title.c_str(), "target", f.target.c_str(), "version", f.version));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& f : files) rows.push_back({f.id, std::to_string(f.version), f.target, f.title});
            print_table({"ID", "VERSION", "TARGET", "TITLE"}, rows);
        }
        return 0;
    }
    if (verb == "import") {
        args.expect_positionals(2, "asgard seed import DIR");
        std::string dir = args.positional()[1];
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw CliError(dir + " is not a directory");
        std::vector<std::string> paths;
        collect_markdown(dir, paths);
        std::sort(paths.begin(), paths.end());
        if (paths.empty()) throw CliError("no .md files under " + dir);
        std::vector<SeedFile> files;
        for (const auto& path : paths) {  // parse everything first: a bad file imports nothing
            std::ifstream in(path, std::ios::binary);
            std::stringstream buffer;
            buffer << in.rdbuf();
            try {
                files.push_back(parse_seed_file(buffer.str(), path));
            } catch (const std::runtime_error& e) {
                throw CliError(e.what());
            }
        }
        int added = 0, updated = 0, unchanged = 0;
        pg_transaction(db, [&] {
            for (const auto& f : files) {
                std::string outcome = upsert_seed_file(db, f);
                (outcome == "added" ? added : outcome == "updated" ? updated : unchanged)++;
            }
            audit_append(db, {cli_actor(), std::nullopt, "seed.import", std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:i,s:i}", "dir", dir.c_str(), "added", added, "updated", updated)).get())});
        });
        std::printf("seed library: %d added, %d updated, %d unchanged\n", added, updated, unchanged);
        return 0;
    }
    throw CliError("unknown subcommand 'seed " + verb + "' (see asgard seed --help)", 2);
}

int run_service(const CliSettings& settings, const Words& words) {
    Args args(words, {"webhook", "webhook-token", "price"}, {"json", "enable", "disable"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kServiceHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        auto services = list_services(db, false);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& s : services)
                json_array_append_new(list.get(), json_pack("{s:s,s:s,s:s,s:s,s:b}", "type", s.type.c_str(), "tier", s.tier.c_str(),
                                                            "driver", s.driver.c_str(), "price_usd_month", s.price_usd_month.c_str(), "enabled", s.enabled));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& s : services) {
                json_error_t e;
                Json cfg = json_own(json_loads(s.driver_config_json.c_str(), 0, &e));
                std::string_view url = json_member_string(cfg.get(), "url");
                rows.push_back({s.type, s.tier, s.driver, s.price_usd_month, s.enabled ? "yes" : "no",
                                s.driver == "webhook" ? (url.empty() ? "(no webhook set)" : std::string(url)) : "-"});
            }
            print_table({"TYPE", "TIER", "DRIVER", "USD/MONTH", "ENABLED", "WEBHOOK"}, rows);
        }
        return 0;
    }
    if (verb == "set") {
        args.expect_positionals(2, "asgard service set TYPE [--webhook URL] [--price USD] [--enable|--disable]");
        std::string type = args.positional()[1];
        if (!find_service(db, type)) throw CliError("no service " + type + " (see asgard service list)");
        if (args.flag("enable") && args.flag("disable")) throw CliError("--enable or --disable, not both", 2);
        auto webhook = args.option("webhook");
        if (webhook && webhook->rfind("http://", 0) != 0 && webhook->rfind("https://", 0) != 0)
            throw CliError("--webhook must be an http:// or https:// URL", 2);
        auto price = args.option("price");
        if (price) {
            char* end = nullptr;
            double v = std::strtod(price->c_str(), &end);
            if (price->empty() || *end || v < 0) throw CliError("--price must be a non-negative amount in USD", 2);
        }
        pg_transaction(db, [&] {
            if (webhook) db.exec("UPDATE services SET driver_config = driver_config || jsonb_build_object('url', $2::text) WHERE type = $1", {type, *webhook});
            if (auto token = args.option("webhook-token"))
                db.exec("UPDATE services SET driver_config = driver_config || jsonb_build_object('token', $2::text) WHERE type = $1", {type, *token});
            if (price) db.exec("UPDATE services SET price_usd_month = $2::numeric WHERE type = $1", {type, *price});
            if (args.flag("enable") || args.flag("disable"))
                db.exec("UPDATE services SET enabled = $2 WHERE type = $1", {type, args.flag("enable") ? "true" : "false"});
            audit_append(db, {cli_actor(), std::nullopt, "service.set", std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:b,s:s?}", "type", type.c_str(), "webhook", webhook.has_value(),
                                                                "price", price ? price->c_str() : nullptr)).get())});
        });
        std::printf("service %s updated\n", type.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'service " + verb + "' (see asgard service --help)", 2);
}

}  // namespace asg::cli
