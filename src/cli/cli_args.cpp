// Parses argv into positionals, options and flags, with clear errors for anything unknown.
#include "cli/cli_args.hpp"

namespace asg::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
           const std::set<std::string>& flags) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "-h" || a == "--help") {
            flags_.insert("help");
            continue;
        }
        bool short_option = a.size() == 2 && a[0] == '-' && value_options.count(a.substr(1)) > 0;  // -n N
        if (!short_option && (a.rfind("--", 0) != 0 || a == "--")) {
            positional_.push_back(a);
            continue;
        }
        std::string name = a.substr(short_option ? 1 : 2), value;
        bool inline_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        if (value_options.count(name)) {
            if (!inline_value) {
                if (i + 1 >= argv.size()) throw CliError("--" + name + " needs a value", 2);
                value = argv[++i];
            }
            options_[name] = value;
        } else if (flags.count(name) && !inline_value) {
            flags_.insert(name);
        } else {
            throw CliError("unknown option --" + name + " (see --help)", 2);
        }
    }
}

std::string Args::positional_at(std::size_t i, const char* what) const {
    if (i >= positional_.size()) throw CliError(std::string("missing ") + what + " (see --help)", 2);
    return positional_[i];
}

std::optional<std::string> Args::option(const std::string& name) const {
    auto it = options_.find(name);
    if (it == options_.end()) return std::nullopt;
    return it->second;
}

void Args::expect_positionals(std::size_t count, const char* usage) const {
    if (positional_.size() != count) throw CliError(std::string("usage: ") + usage, 2);
}

}  // namespace asg::cli
