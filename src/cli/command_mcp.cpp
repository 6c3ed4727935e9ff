// asgard mcp: the MCP server over stdio, acting as an existing local user (local trust).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include "cli/cli_args.hpp"
#include "cli/commands.hpp"
#include "config/runtime_config.hpp"
#include "mcp/stdio_transport.hpp"
#include "store/user_store.hpp"

namespace asg::cli {

static const char kHelp[] =
    "usage: asgard mcp\n"
    "Serves MCP over stdio (newline-delimited JSON-RPC) with the same tools as /mcp. No token:\n"
    "it acts as the local user $ASGARD_USER (default \"operator\"), who must exist: create it once\n"
    "with asgard user add NAME --admin. ASGARD_PROJECT=proj-YYYY-NNNN makes that the default project\n"
    "of project-scoped tools. Logs go to stderr; stdout carries only protocol messages.\n"
    "The config file's mcp_max_batch (default 100) and mcp_max_response_size (default 8m) cap a\n"
    "2025-03-26 batch's length and an answer's size, as asgard_mcp_max_batch and\n"
    "asgard_mcp_max_response_size do for /mcp.\n"
    "Wire it in a client as: command \"asgard\", args [\"mcp\"].\n";

static asg_principal_t local_principal(const UserRow& user) {
    asg_principal_t p;
    std::memset(&p, 0, sizeof p);
    p.status = ASG_AUTH_OK;
    p.kind = ASG_CRED_USER;
    p.user_id = user.id;
    p.is_admin = user.is_admin;
    std::strncpy(p.user_name, user.name.c_str(), sizeof p.user_name - 1);
    return p;
}

int run_mcp(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {});
    if (args.help()) return std::printf("%s", kHelp), 0;
    args.expect_positionals(0, "asgard mcp");
    auto config = std::make_shared<RuntimeConfig>();
    config->database_url = settings.database_url;
    auto colon = settings.redis.rfind(':');
    config->redis_host = settings.redis.substr(0, colon);
    if (colon != std::string::npos) config->redis_port = std::atoi(settings.redis.c_str() + colon + 1);
    config->master_key = settings.master_key_file.empty() ? random_bytes(32) : load_master_key(settings.master_key_file);
    set_runtime_config(config);
    const char* user_env = std::getenv("ASGARD_USER");
    std::string name = user_env && *user_env ? user_env : "operator";
    auto user = find_user(thread_pg(), name);
    if (!user) {
        // Never created here: a typo in ASGARD_USER must not mint an admin. The client's first
        // request gets the same sentence as a JSON-RPC error, so it can show why the server stopped.
        std::string message = "asgard mcp: no user '" + name + "': create it with asgard user add " + name +
                              " --admin (or set ASGARD_USER to an existing user)";
        std::cerr << message << "\n";
        refuse_stdio(std::cin, std::cout, 0, message, isatty(0) ? 0 : 10000);
        return 1;
    }
    asg_principal_t principal = local_principal(*user);
    StdioOptions options;
    if (const char* project = std::getenv("ASGARD_PROJECT")) options.default_project = project;
    if (settings.mcp_max_batch > 0) options.limits.max_batch = settings.mcp_max_batch;
    if (settings.mcp_max_response_size > 0) options.limits.max_answer_bytes = settings.mcp_max_response_size;
    std::ios::sync_with_stdio(false);
    serve_stdio(std::cin, std::cout, principal, options);
    return 0;
}

}  // namespace asg::cli
