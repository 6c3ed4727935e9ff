// Deriving a connection's deadlines from one timeout, leaving every setting the operator made alone.
#include "store/pg_connect_params.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

namespace asg {

namespace {

// The keywords the connection string sets (a bare database name sets none).
std::map<std::string, std::string> keywords_of(const std::string& conninfo) {
    std::map<std::string, std::string> set;
    bool is_string = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0 ||
                     conninfo.find('=') != std::string::npos;
    if (!is_string) return set;
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(conninfo.c_str(), &error),
                                                                         &PQconninfoFree);
    if (error != nullptr) PQfreemem(error);  // PQconnectdbParams reports the same mistake
    if (!options) return set;
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o)
        if (o->val != nullptr) set[o->keyword] = o->val;
    return set;
}

// The server settings an options value names (-c name=value, -cname=value, --name=value), as
// PostgreSQL reads them: dashes are underscores, case does not matter.
std::set<std::string> settings_named(const std::string& options) {
    std::vector<std::string> words;
    std::string word;
    for (std::size_t i = 0; i < options.size(); ++i) {
        char c = options[i];
        if (c == '\\' && i + 1 < options.size()) {
            word.push_back(options[++i]);
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word.push_back(c);
        }
    }
    if (!word.empty()) words.push_back(std::move(word));

    std::set<std::string> names;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string setting;
        if (words[i] == "-c" && i + 1 < words.size()) setting = words[++i];
        else if (words[i].rfind("--", 0) == 0) setting = words[i].substr(2);
        else if (words[i].rfind("-c", 0) == 0) setting = words[i].substr(2);
        std::string name = setting.substr(0, setting.find('='));
        for (char& ch : name) ch = ch == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (!name.empty()) names.insert(name);
    }
    return names;
}

std::string whole_seconds(std::int64_t ms, std::int64_t at_least) {
    std::int64_t s = (ms + 999) / 1000;
    return std::to_string(s < at_least ? at_least : s);
}

}  // namespace

PgConnectParams pg_connect_params(const std::string& conninfo, std::int64_t timeout_ms) {
    PgConnectParams out;
    std::map<std::string, std::string> given = keywords_of(conninfo);
    auto by_default = [&](const char* key, const std::string& value, const char* env = nullptr) {
        if (given.count(key) || (env != nullptr && std::getenv(env) != nullptr)) return;
        out.keys.emplace_back(key);
        out.values.push_back(value);
    };

    // Defaults first: expand_dbname lets the connection string, placed after them, override them.
    by_default("connect_timeout", timeout_ms > 0 ? whole_seconds(timeout_ms, 2) : "5", "PGCONNECT_TIMEOUT");
    by_default("application_name", "asgard", "PGAPPNAME");
    if (timeout_ms > 0) {
        // A peer gone silent: unacknowledged data, or an idle connection, is given up after this.
        by_default("keepalives_idle", whole_seconds(timeout_ms, 1));
        by_default("keepalives_interval", whole_seconds(timeout_ms, 1));
        by_default("tcp_user_timeout", std::to_string(timeout_ms));
    }
    out.keys.emplace_back("dbname");
    out.values.push_back(conninfo);
    if (timeout_ms <= 0) return out;

    // The server's own deadlines travel in the startup packet's options, merged with the
    // operator's: an options keyword after the connection string replaces the string's.
    auto own = given.find("options");
    if (own != given.end() && own->second.empty()) return out;  // options= : none at all
    const char* env = std::getenv("PGOPTIONS");
    std::string options = own != given.end() ? own->second : env != nullptr ? env : "";
    std::set<std::string> named = settings_named(options);
    std::string added;
    if (!named.count("statement_timeout")) added += " -c statement_timeout=" + std::to_string(timeout_ms);
    if (!named.count("lock_timeout"))
        added += " -c lock_timeout=" + std::to_string(timeout_ms / 2 > 0 ? timeout_ms / 2 : 1);
    if (added.empty()) return out;
    out.keys.emplace_back("options");
    out.values.push_back(options.empty() ? added.substr(1) : options + added);
    return out;
}

}  // namespace asg
