// Reads "key = value" config files and the environment to settle the CLI's settings.
#include "cli/cli_config.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "cli/cli_args.hpp"

namespace asg::cli {

static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    std::size_t start = s.find_first_not_of(" \t");
    return start == std::string::npos ? "" : s.substr(start);
}

// A positive count, or a size with an optional k/m/g suffix as nginx writes them ("8m"); 0 when not.
static std::size_t positive_size(const std::string& value, bool suffixes) {
    std::size_t digits = 0;
    while (digits < value.size() && value[digits] >= '0' && value[digits] <= '9') ++digits;
    if (digits == 0 || digits > 12) return 0;
    std::size_t n = std::stoull(value.substr(0, digits));
    std::string suffix = value.substr(digits);
    if (suffix.empty()) return n;
    if (!suffixes || suffix.size() != 1) return 0;
    switch (suffix[0]) {
        case 'k': case 'K': return n << 10;
        case 'm': case 'M': return n << 20;
        case 'g': case 'G': return n << 30;
        default: return 0;
    }
}

static bool read_file(const std::string& path, CliSettings& out) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos)
            throw CliError(path + ":" + std::to_string(number) + ": expected key = value");
        std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
        if (key == "database_url") out.database_url = value;
        else if (key == "redis") out.redis = value;
        else if (key == "master_key_file") out.master_key_file = value;
        else if (key == "public_url") out.public_url = value;
        else if (key == "mcp_max_batch" || key == "mcp_max_response_size") {
            bool batch = key == "mcp_max_batch";
            std::size_t n = positive_size(value, !batch);
            if (n == 0 || (!batch && n < 1024))
                throw CliError(path + ":" + std::to_string(number) + ": " + key + " must be " +
                               (batch ? "a positive number" : "a size of at least 1k (as 8m or 65536)"));
            (batch ? out.mcp_max_batch : out.mcp_max_response_size) = n;
        }
        else throw CliError(path + ":" + std::to_string(number) + ": unknown setting " + key);
    }
    out.source = path;
    return true;
}

// The installation this executable belongs to: X/asgard.conf when it is X/bin/asgard
// (.asgard/bin/asgard beside .asgard/asgard.conf after ./scripts/run), found through any symlink
// on PATH, so `asgard mcp` started by a client from any directory reaches its own database.
static std::string installation_config() {
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return "";
    std::string exe(path, static_cast<std::size_t>(n));
    std::size_t slash = exe.rfind('/');
    if (slash == std::string::npos || slash == 0) return "";
    std::string dir = exe.substr(0, slash);
    std::size_t parent = dir.rfind('/');
    if (parent == std::string::npos || dir.substr(parent + 1) != "bin") return "";
    return dir.substr(0, parent) + "/asgard.conf";
}

CliSettings load_settings(const std::string& database_flag) {
    CliSettings settings;
    const char* config = std::getenv("ASGARD_CONFIG");
    std::string installed = installation_config();
    if (config && *config) {
        if (!read_file(config, settings)) throw CliError(std::string("cannot read ASGARD_CONFIG file ") + config);
    } else if (!read_file(".asgard/asgard.conf", settings) && (installed.empty() || !read_file(installed, settings))) {
        read_file("/etc/asgard/asgard.conf", settings);
    }
    if (const char* env = std::getenv("ASGARD_DATABASE_URL"); env && *env) {
        settings.database_url = env;
        settings.source = "ASGARD_DATABASE_URL";
    }
    if (!database_flag.empty()) {
        settings.database_url = database_flag;
        settings.source = "--database";
    }
    if (settings.database_url.empty())
        throw CliError("no database configured: pass --database URL, set ASGARD_DATABASE_URL or ASGARD_CONFIG, or write "
                       "database_url = ... in .asgard/asgard.conf, " + (installed.empty() ? std::string() : installed + ", ") +
                       "or /etc/asgard/asgard.conf");
    return settings;
}

std::string cli_actor() {
    const char* name = nullptr;
    if (struct passwd* pw = getpwuid(geteuid())) name = pw->pw_name;
    return std::string("cli:") + (name ? name : "unknown");
}

}  // namespace asg::cli
