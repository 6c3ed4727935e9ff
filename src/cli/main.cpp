// The asgard command: operator CLI entry point (global options, subcommand dispatch, exit codes).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <exception>
#include <string>
#include <vector>

#include <unistd.h>

#include "asgard.h"
#include "cli/cli_args.hpp"
#include "cli/commands.hpp"
#include "mcp/stdio_transport.hpp"
#include "store/pg_connection.hpp"

using namespace asg::cli;

static const char kHelp[] =
    "asgard " ASG_VERSION " - the operator command of Asgard for nginx\n"
    "\n"
    "usage: asgard [--database URL] COMMAND [ARGS] [--help]\n"
    "\n"
    "commands:\n"
    "  migrate     apply pending schema migrations and load the starter seed library (idempotent)\n"
    "  user        add and list users\n"
    "  token       create, list and revoke user tokens (asg_pat_...)\n"
    "  login-link  a one-time link that signs a user in to the dashboard\n"
    "  project     list and show projects\n"
    "  key         create (rotate), list and revoke project keys (asg_...)\n"
    "  group       group membership\n"
    "  settings    operator policy (projects.require_manager, projects.require_group)\n"
    "  standards   list, show and version the engineering standards\n"
    "  guidance    guidance documents: list, show, put (published, or --draft)\n"
    "  recipes     recipes (runbooks): list, show, put\n"
    "  drafts      review guidance and recipe drafts: approve or reject\n"
    "  seed        the seed library: list, import DIR\n"
    "  service     the service catalog: list, set (webhook, price, enable/disable)\n"
    "  requests    review-tier resource requests: list, show, approve, deny\n"
    "  provider    LLM providers of the gateway (upstream, encrypted key)\n"
    "  model       the gateway's model catalog (alias, provider model, prices, data classes)\n"
    "  killswitch  stop gateway traffic: global, per project or per model\n"
    "  ratelimit   requests and tokens per minute per key\n"
    "  guardrail   detectors and operator patterns: block, redact or allow per data class\n"
    "  budget      monthly budgets per project\n"
    "  cost        a project's month-to-date cost\n"
    "  audit       tail the audit log and verify its hash chain\n"
    "  doctor      check the database, Redis, nginx, the module's version and the master key\n"
    "  mcp         serve MCP over stdio (local trust; ASGARD_PROJECT sets the default project)\n"
    "  version     print the version\n"
    "\n"
    "The database comes from --database, $ASGARD_DATABASE_URL, $ASGARD_CONFIG, ./.asgard/asgard.conf,\n"
    "the installation's own asgard.conf (X/asgard.conf for X/bin/asgard, through symlinks: ./scripts/run\n"
    "link puts one on PATH) or /etc/asgard/asgard.conf (a line: database_url = postgresql://...).\n";

// `asgard mcp` that cannot start answers its client's first request with the reason, as a
// JSON-RPC error, before exiting: a client shows that, where an exit alone reads "connection closed".
static void refuse_mcp_client(const std::string& message) {
    asg::refuse_stdio(std::cin, std::cout, 0, message, isatty(0) ? 0 : 10000);
}

int main(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    std::string database;
    while (!words.empty() && words[0].rfind("--database", 0) == 0) {
        if (words[0] == "--database" && words.size() >= 2) {
            database = words[1];
            words.erase(words.begin(), words.begin() + 2);
        } else if (words[0].rfind("--database=", 0) == 0) {
            database = words[0].substr(11);
            words.erase(words.begin());
        } else {
            std::fprintf(stderr, "asgard: --database needs a value\n");
            return 2;
        }
    }
    if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
        std::printf("%s", kHelp);
        return words.empty() ? 2 : 0;
    }
    std::string command = words[0];
    words.erase(words.begin());
    if (command == "version" || command == "--version") {
        std::printf("asgard %s\n", ASG_VERSION);
        return 0;
    }
    using Runner = int (*)(const CliSettings&, const Words&);
    struct Entry { const char* name; Runner run; };
    static const Entry entries[] = {
        {"migrate", run_migrate}, {"user", run_user},         {"token", run_token},       {"project", run_project},
        {"key", run_key},         {"group", run_group},       {"settings", run_settings}, {"standards", run_standards},
        {"drafts", run_drafts},   {"seed", run_seed},         {"service", run_service},   {"requests", run_requests},
        {"budget", run_budget},   {"cost", run_cost},         {"audit", run_audit},       {"mcp", run_mcp},
        {"provider", run_provider}, {"model", run_model},     {"killswitch", run_killswitch},
        {"ratelimit", run_ratelimit}, {"guardrail", run_guardrail}, {"doctor", run_doctor},
        {"guidance", run_guidance}, {"recipes", run_recipes}, {"login-link", run_login_link}};
    for (const Entry& e : entries) {
        if (command != e.name) continue;
        try {
            bool wants_help = false;
            for (const auto& w : words) wants_help = wants_help || w == "--help" || w == "-h";
            CliSettings settings;
            if (!wants_help) settings = load_settings(database);
            return e.run(settings, words);
        } catch (const CliError& err) {
            std::fprintf(stderr, "asgard: %s\n", err.what());
            if (command == "mcp") refuse_mcp_client(std::string("asgard mcp cannot start: ") + err.what());
            return err.exit_code;
        } catch (const asg::PgError& err) {
            std::fprintf(stderr, "asgard: database error: %s\n", err.what());
            if (command == "mcp") refuse_mcp_client(std::string("asgard mcp cannot start: database error: ") + err.what());
            return 1;
        } catch (const std::exception& err) {
            std::fprintf(stderr, "asgard: %s\n", err.what());
            if (command == "mcp") refuse_mcp_client(std::string("asgard mcp cannot start: ") + err.what());
            return 1;
        }
    }
    std::fprintf(stderr, "asgard: unknown command '%s' (see asgard --help)\n", command.c_str());
    return 2;
}
