// The asgard command's subcommands; each takes the words after its name.
#pragma once
#include <string>
#include <vector>

#include "cli/cli_config.hpp"

namespace asg::cli {

using Words = std::vector<std::string>;

int run_migrate(const CliSettings& settings, const Words& words);
int run_user(const CliSettings& settings, const Words& words);
int run_token(const CliSettings& settings, const Words& words);
int run_standards(const CliSettings& settings, const Words& words);
int run_audit(const CliSettings& settings, const Words& words);
int run_mcp(const CliSettings& settings, const Words& words);
int run_project(const CliSettings& settings, const Words& words);
int run_key(const CliSettings& settings, const Words& words);
int run_group(const CliSettings& settings, const Words& words);
int run_settings(const CliSettings& settings, const Words& words);
int run_budget(const CliSettings& settings, const Words& words);
int run_cost(const CliSettings& settings, const Words& words);
int run_drafts(const CliSettings& settings, const Words& words);
int run_requests(const CliSettings& settings, const Words& words);
int run_seed(const CliSettings& settings, const Words& words);
int run_service(const CliSettings& settings, const Words& words);
int run_provider(const CliSettings& settings, const Words& words);
int run_model(const CliSettings& settings, const Words& words);
int run_killswitch(const CliSettings& settings, const Words& words);
int run_ratelimit(const CliSettings& settings, const Words& words);
int run_guardrail(const CliSettings& settings, const Words& words);
int run_doctor(const CliSettings& settings, const Words& words);
int run_guidance(const CliSettings& settings, const Words& words);
int run_recipes(const CliSettings& settings, const Words& words);
int run_login_link(const CliSettings& settings, const Words& words);

// Parses 90d, 12h, 30m, 3600s or "never" (0) into seconds.
long long parse_duration_seconds(const std::string& text);

}  // namespace asg::cli
