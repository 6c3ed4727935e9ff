// Where the asgard command finds its database: --database, ASGARD_DATABASE_URL, or a config file.
#pragma once
#include <cstddef>
#include <string>

namespace asg::cli {

struct CliSettings {
    std::string database_url;
    std::string redis = "127.0.0.1:6379";
    std::string master_key_file;
    std::string public_url;  // the base URL people open (sign-in links), e.g. https://asgard.example.com
    std::size_t mcp_max_batch = 0;          // asgard mcp: messages a batch may hold (0: default)
    std::size_t mcp_max_response_size = 0;  // asgard mcp: bytes an answer may reach (0: default)
    std::string source;  // where database_url came from, for messages
};

// Resolution order: explicit --database, $ASGARD_DATABASE_URL, $ASGARD_CONFIG,
// ./.asgard/asgard.conf, /etc/asgard/asgard.conf. Throws CliError when nothing names a database.
CliSettings load_settings(const std::string& database_flag);

// The actor name the CLI writes into the audit log: "cli:<login>".
std::string cli_actor();

}  // namespace asg::cli
