// asgard mcp: the MCP server over stdio, acting as the local operator user (local trust).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/cli_args.hpp"
#include "cli/commands.hpp"
#include "config/runtime_config.hpp"
#include "mcp/stdio_transport.hpp"
#include "store/audit_log.hpp"
#include "store/user_store.hpp"

namespace asg::cli {

static const char kHelp[] =
    "usage: asgard mcp\n"
    "Serves MCP over stdio (newline-delimited JSON-RPC) with the same tools as /mcp. No token:\n"
    "it acts as the local operator user ($ASGARD_USER, default \"operator\", created as an admin on\n"
    "first use). ASGARD_PROJECT=proj-YYYY-NNNN makes that the default project of project-scoped\n"
    "tools. Logs go to stderr; stdout carries only protocol messages.\n"
    "The config file's mcp_max_batch (default 100) and mcp_max_response_size (default 8m) cap a\n"
    "2025-03-26 batch's length and an answer's size, as asgard_mcp_max_batch and\n"
    "asgard_mcp_max_response_size do for /mcp.\n"
    "Wire it in a client as: command \"asgard\", args [\"mcp\"].\n";

static asg_principal_t operator_principal(PgConnection& db, const std::string& name) {
    auto user = find_user(db, name);
    if (!user) {
        user = add_user(db, name, true);
        audit_append(db, {cli_actor(), std::nullopt, "user.add", std::nullopt, "ok",
                          R"({"user":")" + name + R"(","admin":true,"via":"asgard mcp"})"});
        std::cerr << "asgard mcp: created the local operator user " << name << "\n";
    }
    asg_principal_t p;
    std::memset(&p, 0, sizeof p);
    p.status = ASG_AUTH_OK;
    p.kind = ASG_CRED_USER;
    p.user_id = user->id;
    p.is_admin = user->is_admin;
    std::strncpy(p.user_name, user->name.c_str(), sizeof p.user_name - 1);
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
    const char* user = std::getenv("ASGARD_USER");
    asg_principal_t principal = operator_principal(thread_pg(), user && *user ? user : "operator");
    StdioOptions options;
    if (const char* project = std::getenv("ASGARD_PROJECT")) options.default_project = project;
    if (settings.mcp_max_batch > 0) options.limits.max_batch = settings.mcp_max_batch;
    if (settings.mcp_max_response_size > 0) options.limits.max_answer_bytes = settings.mcp_max_response_size;
    std::ios::sync_with_stdio(false);
    serve_stdio(std::cin, std::cout, principal, options);
    return 0;
}

}  // namespace asg::cli
