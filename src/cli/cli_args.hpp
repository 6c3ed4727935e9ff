// Command-line parsing for the asgard command: positionals, --flag and --option VALUE.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace asg::cli {

// A user error: printed as one line, exit status 2 (usage) or 1 (failure).
struct CliError : std::runtime_error {
    int exit_code;
    explicit CliError(const std::string& what, int code = 1) : std::runtime_error(what), exit_code(code) {}
};

class Args {
public:
    // value_options take a value; flags do not. Anything else starting with -- is an error.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
         const std::set<std::string>& flags);
    const std::vector<std::string>& positional() const { return positional_; }
    std::string positional_at(std::size_t i, const char* what) const;
    std::optional<std::string> option(const std::string& name) const;
    bool flag(const std::string& name) const { return flags_.count(name) > 0; }
    bool help() const { return flag("help"); }
    void expect_positionals(std::size_t count, const char* usage) const;

private:
    std::vector<std::string> positional_;
    std::map<std::string, std::string> options_;
    std::set<std::string> flags_;
};

}  // namespace asg::cli
