// asgard project | key | group | settings | budget | cost: projects and their keys, people, policy and money.
#include <cstdio>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "gateway/data_class.hpp"
#include "operations/admin_operations.hpp"
#include "operations/user_operations.hpp"
#include "store/audit_log.hpp"
#include "store/cost_store.hpp"
#include "store/project_store.hpp"
#include "store/user_store.hpp"
#include "util/money.hpp"

namespace asg::cli {

static const char kProjectHelp[] =
    "usage: asgard project list [--json]\n"
    "       asgard project show ID [--json]\n";
static const char kKeyHelp[] =
    "usage: asgard key create --project ID [--allow-provision] [--default-data-class CLASS]\n"
    "                                              mint (or rotate) the project's key, shown once\n"
    "       asgard key list [--project ID] [--json]\n"
    "       asgard key revoke ID\n"
    "A project key reads its project (resources, secrets, cost) and calls the gateway. With\n"
    "--allow-provision (a CI key) it may also request_resource and release_resource; it never mints\n"
    "keys. Each kind rotates on its own: a new key revokes the project's earlier keys of its kind.\n"
    "--default-data-class (public|internal|confidential|restricted) is the data class of the key's\n"
    "gateway calls that name none in the body or the X-Asgard-Data-Class header (for clients that\n"
    "can set neither); before the operator's gateway.default_data_class.\n";
static const char kGroupHelp[] =
    "usage: asgard group add GROUP USER\n"
    "       asgard group remove GROUP USER\n"
    "       asgard group list [--json]\n";
static const char kSettingsHelp[] =
    "usage: asgard settings list [--json]\n"
    "       asgard settings set KEY VALUE\n"
    "keys: projects.require_manager (true|false), projects.require_group (true|false),\n"
    "      gateway.default_data_class (public|internal|confidential|restricted|none: a request\n"
    "      without data_class gets 400), gateway.rate_limit_fail_open (true|false: serve when Redis\n"
    "      is down, without rate limits; budgets never fail open), dashboard.sso_create_users\n"
    "      (true|false: a person single sign-on names who is not a user yet is created on first sign-in)\n";
static const char kBudgetHelp[] =
    "usage: asgard budget set PROJECT --monthly-usd N\n"
    "       asgard budget show PROJECT [--json]\n";
static const char kCostHelp[] =
    "usage: asgard cost PROJECT [--window month|day] [--json]\n";

static ProjectRow need_project(PgConnection& db, const std::string& id) {
    auto p = find_project(db, id);
    if (!p) throw CliError("no project " + id);
    return *p;
}

static json_t* project_to_json(const ProjectRow& p) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "project_id", p.id.c_str(), "name", p.name.c_str(), "description",
                     p.description.c_str(), "owner", p.owner.c_str(), "manager", p.manager.c_str(), "group", p.group.c_str(),
                     "gateway_enabled", p.gateway_enabled, "created", p.created.c_str());
}

int run_project(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kProjectHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        args.expect_positionals(1, "asgard project list [--json]");
        auto projects = list_projects_of(db, 0, true);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& p : projects) json_array_append_new(list.get(), project_to_json(p));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& p : projects)
                rows.push_back({p.id, p.name, p.owner, p.manager.empty() ? "-" : p.manager, p.group.empty() ? "-" : p.group,
                                p.gateway_enabled ? "yes" : "no", p.created});
            print_table({"ID", "NAME", "OWNER", "MANAGER", "GROUP", "GATEWAY", "CREATED"}, rows);
        }
        return 0;
    }
    if (verb == "show") {
        args.expect_positionals(2, "asgard project show ID");
        ProjectRow p = need_project(db, args.positional()[1]);
        Json j = json_own(project_to_json(p));
        if (args.flag("json")) print_json(j.get());
        else std::printf("%s  %s\n  %s\n  owner %s, manager %s, group %s, gateway %s, created %s\n", p.id.c_str(), p.name.c_str(),
                         p.description.c_str(), p.owner.c_str(), p.manager.empty() ? "-" : p.manager.c_str(),
                         p.group.empty() ? "-" : p.group.c_str(), p.gateway_enabled ? "enabled" : "off", p.created.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'project " + verb + "' (see asgard project --help)", 2);
}

int run_key(const CliSettings& settings, const Words& words) {
    Args args(words, {"project", "default-data-class"}, {"json", "allow-provision"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kKeyHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "create") {
        args.expect_positionals(1, "asgard key create --project ID");
        auto project = args.option("project");
        if (!project) throw CliError("--project ID is required", 2);
        need_project(db, *project);
        bool may_provision = args.flag("allow-provision");
        std::string data_class = args.option("default-data-class").value_or("");
        if (!data_class.empty() && !is_data_class(data_class))
            throw CliError(std::string("--default-data-class must be one of ") + kDataClassList, 2);
        MintedToken key = pg_transaction(db, [&] {
            db.exec("UPDATE projects SET gateway_enabled = true, updated_at = now() WHERE id = $1", {*project});
            MintedToken k = rotate_project_key(db, *project, may_provision, data_class);
            Json detail = json_own(json_object());
            if (may_provision) json_object_set_new(detail.get(), "may_provision", json_true());
            if (!data_class.empty()) json_object_set_new(detail.get(), "default_data_class", json_string(data_class.c_str()));
            audit_append(db, {cli_actor(), k.id, "key.create", *project, "ok", json_to_string(detail.get())});
            return k;
        });
        if (args.flag("json"))
            print_json(json_own(json_pack("{s:I,s:s,s:s,s:b,s:s?}", "id", (json_int_t)key.id, "project_id", project->c_str(), "key",
                                          key.plaintext.c_str(), "may_provision", may_provision, "default_data_class",
                                          data_class.empty() ? nullptr : data_class.c_str())).get());
        else {
            std::printf("%s\n", key.plaintext.c_str());
            std::fprintf(stderr, "key %lld for %s%s%s (earlier keys of its kind revoked). Shown once.\n", (long long)key.id,
                         project->c_str(), may_provision ? ", allowed to provision" : "",
                         data_class.empty() ? "" : (", default data class " + data_class).c_str());
        }
        return 0;
    }
    if (verb == "list") {
        args.expect_positionals(1, "asgard key list [--project ID]");
        auto project = args.option("project");
        std::vector<std::vector<std::string>> rows;
        Json list = json_own(json_array());
        for (const auto& t : list_tokens(db, std::nullopt)) {
            if (t.kind != "project" || (project && t.owner != *project)) continue;
            rows.push_back({std::to_string(t.id), t.owner, t.display_prefix + "...", t.may_provision ? "yes" : "no",
                            t.default_data_class.empty() ? "-" : t.default_data_class, t.created,
                            t.revoked.empty() ? "-" : t.revoked, t.last_used.empty() ? "-" : t.last_used});
            json_array_append_new(list.get(), json_pack("{s:I,s:s,s:s,s:b,s:s?,s:s,s:s}", "id", (json_int_t)t.id, "project_id",
                                                        t.owner.c_str(), "prefix", t.display_prefix.c_str(), "may_provision",
                                                        t.may_provision, "default_data_class",
                                                        t.default_data_class.empty() ? nullptr : t.default_data_class.c_str(),
                                                        "created", t.created.c_str(), "revoked", t.revoked.c_str()));
        }
        if (args.flag("json")) print_json(list.get());
        else print_table({"ID", "PROJECT", "PREFIX", "PROVISION", "DATA CLASS", "CREATED", "REVOKED", "LAST USED"}, rows);
        return 0;
    }
    if (verb == "revoke") return run_token(settings, {"revoke", args.positional_at(1, "key ID")});
    throw CliError("unknown subcommand 'key " + verb + "' (see asgard key --help)", 2);
}

int run_group(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kGroupHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "add" || verb == "remove") {
        args.expect_positionals(3, verb == "add" ? "asgard group add GROUP USER" : "asgard group remove GROUP USER");
        const std::string& group = args.positional()[1];
        const std::string& user = args.positional()[2];
        bool changed;
        try {
            changed = set_group_member(db, group, user, verb == "add", cli_actor());
        } catch (const RequestRefused& e) {
            throw CliError(e.what(), e.code == "not_found" ? 1 : 2);
        }
        if (verb == "add") std::printf("%s is in group %s%s\n", user.c_str(), group.c_str(), changed ? "" : " (already)");
        else std::printf("%s %s group %s\n", user.c_str(), changed ? "left" : "was not in", group.c_str());
        return 0;
    }
    if (verb == "list") {
        auto r = db.exec("SELECT g.group_name, u.name FROM group_members g JOIN users u ON u.id = g.user_id ORDER BY 1, 2");
        std::vector<std::vector<std::string>> rows;
        Json list = json_own(json_array());
        for (int i = 0; i < r.rows(); ++i) {
            rows.push_back({r.text(i, 0), r.text(i, 1)});
            json_array_append_new(list.get(), json_pack("{s:s,s:s}", "group", r.text(i, 0).c_str(), "user", r.text(i, 1).c_str()));
        }
        if (args.flag("json")) print_json(list.get());
        else print_table({"GROUP", "USER"}, rows);
        return 0;
    }
    throw CliError("unknown subcommand 'group " + verb + "' (see asgard group --help)", 2);
}

int run_settings(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kSettingsHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        auto r = db.exec("SELECT key, value FROM settings ORDER BY key");
        std::vector<std::vector<std::string>> rows;
        Json obj = json_own(json_object());
        for (int i = 0; i < r.rows(); ++i) {
            rows.push_back({r.text(i, 0), r.text(i, 1)});
            json_object_set_new(obj.get(), r.text(i, 0).c_str(), json_string(r.text(i, 1).c_str()));
        }
        if (args.flag("json")) print_json(obj.get());
        else print_table({"KEY", "VALUE"}, rows);
        return 0;
    }
    if (verb == "set") {
        args.expect_positionals(3, "asgard settings set KEY VALUE");
        const std::string& key = args.positional()[1];
        const std::string& value = args.positional()[2];
        if (key == "gateway.default_data_class") {
            if (value != "" && value != "none" && value != "public" && value != "internal" && value != "confidential" && value != "restricted")
                throw CliError(key + " takes public, internal, confidential, restricted or none", 2);
        } else if (key == "projects.require_manager" || key == "projects.require_group" || key == "gateway.rate_limit_fail_open" ||
                   key == "dashboard.sso_create_users") {
            if (value != "true" && value != "false") throw CliError(key + " takes true or false", 2);
        } else {
            throw CliError("unknown setting " + key + " (see asgard settings --help)", 2);
        }
        put_setting(db, key, value == "none" ? "" : value);
        audit_append(db, {cli_actor(), std::nullopt, "settings.set", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:s}", "key", key.c_str(), "value", value.c_str())).get())});
        std::printf("%s = %s\n", key.c_str(), value.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'settings " + verb + "' (see asgard settings --help)", 2);
}

int run_budget(const CliSettings& settings, const Words& words) {
    Args args(words, {"monthly-usd"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kBudgetHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "set") {
        args.expect_positionals(2, "asgard budget set PROJECT --monthly-usd N");
        std::string project = args.positional()[1];
        auto amount = args.option("monthly-usd");
        if (!amount) throw CliError("--monthly-usd N is required", 2);
        std::optional<std::int64_t> micro = parse_usd(*amount);
        if (!micro) throw CliError("--monthly-usd must be a non-negative amount in USD with at most six decimals, e.g. 250 or 99.50", 2);
        if (*micro >= 100000000LL * 1000000) throw CliError("--monthly-usd must be under 100000000 USD", 2);
        need_project(db, project);
        try {
            set_project_budget(db, project, *micro, cli_actor());
        } catch (const RequestRefused& e) {
            throw CliError(e.what(), 2);
        }
        std::string text = format_usd(*micro);
        while (text.back() == '0' && text[text.size() - 3] != '.') text.pop_back();  // to the micro-dollar, at least cents
        std::printf("budget of %s: %s USD per month\n", project.c_str(), text.c_str());
        return 0;
    }
    if (verb == "show") return run_cost(settings, {args.positional_at(1, "project"), args.flag("json") ? "--json" : "--window=month"});
    throw CliError("unknown subcommand 'budget " + verb + "' (see asgard budget --help)", 2);
}

int run_cost(const CliSettings& settings, const Words& words) {
    Args args(words, {"window"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kCostHelp), args.help() ? 0 : 2;
    args.expect_positionals(1, "asgard cost PROJECT [--window month|day]");
    std::string window = args.option("window").value_or("month");
    if (window != "month" && window != "day") throw CliError("--window is month or day", 2);
    PgConnection db(settings.database_url);
    std::string project = args.positional()[0];
    need_project(db, project);
    CostReport r = project_cost(db, project, window);
    if (args.flag("json")) {
        Json lines = json_own(json_array());
        for (const auto& l : r.by_service)
            json_array_append_new(lines.get(), json_pack("{s:s,s:s,s:s}", "service", l.key.c_str(), "resource_id", l.resource.c_str(),
                                                         "usd", format_usd(l.micro_usd).c_str()));
        for (const auto& l : r.by_model)
            json_array_append_new(lines.get(), json_pack("{s:s,s:s,s:I}", "model", l.key.c_str(), "usd", format_usd(l.micro_usd).c_str(),
                                                         "requests", (json_int_t)l.requests));
        Json out = json_own(json_pack("{s:s,s:s,s:s,s:s,s:O}", "project_id", project.c_str(), "from", r.from.c_str(), "to", r.to.c_str(),
                                      "total_usd", format_usd(r.total_micro_usd).c_str(), "lines", lines.get()));
        json_object_set_new(out.get(), "budget_usd", r.budget_micro_usd ? json_string(format_usd(*r.budget_micro_usd).c_str()) : json_null());
        print_json(out.get());
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& l : r.by_service) rows.push_back({"service", l.key + " (" + l.resource + ")", format_usd(l.micro_usd)});
    for (const auto& l : r.by_model)
        rows.push_back({"model", l.key + " (" + std::to_string(l.requests) + " requests)", format_usd(l.micro_usd)});
    std::printf("%s, %s to %s\n", project.c_str(), r.from.c_str(), r.to.c_str());
    print_table({"KIND", "WHAT", "USD"}, rows);
    std::printf("total %s USD", format_usd(r.total_micro_usd).c_str());
    if (r.budget_micro_usd)
        std::printf(", budget %s, remaining %s", format_usd(*r.budget_micro_usd).c_str(),
                    format_usd(*r.budget_micro_usd - r.total_micro_usd).c_str());
    std::printf("\n");
    return 0;
}

}  // namespace asg::cli
