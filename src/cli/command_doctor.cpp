// asgard doctor: checks the database and migrations, Redis, the nginx configuration, the loaded
// module's version and the master key file, and says how to fix what is wrong.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "asgard.h"
#include "cli/cli_args.hpp"
#include "cli/commands.hpp"
#include "config/runtime_config.hpp"
#include "store/migrations.hpp"
#include "store/redis_connection.hpp"

namespace asg::cli {

static const char kHelp[] =
    "usage: asgard doctor [--nginx-conf PATH] [--nginx-prefix DIR]\n"
    "Checks the database connection and schema migrations, Redis, the nginx configuration (nginx -t),\n"
    "that the module nginx loads has this executable's version, and the master key file. Prints\n"
    "what is wrong and how to fix it; exits 1 when something is.\n"
    "The nginx configuration defaults to ./.asgard/nginx/nginx.conf when it exists, else /etc/nginx/nginx.conf.\n";

namespace {

int failures = 0;

void report(bool ok, const std::string& what, const std::string& detail, const std::string& fix = "") {
    std::printf("%s %-10s %s\n", ok ? "ok  " : "FAIL", what.c_str(), detail.c_str());
    if (!ok) {
        ++failures;
        if (!fix.empty()) std::printf("     fix:       %s\n", fix.c_str());
    }
}

std::string run(const std::string& command, int& status) {
    std::string output;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        status = -1;
        return "";
    }
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    status = pclose(pipe);
    return output;
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace

int run_doctor(const CliSettings& settings, const Words& words) {
    Args args(words, {"nginx-conf", "nginx-prefix"}, {});
    if (args.help()) return std::printf("%s", kHelp), 0;
    args.expect_positionals(0, "asgard doctor [--nginx-conf PATH]");
    failures = 0;

    try {
        PgConnection db(settings.database_url);
        int pending = 0, applied = 0;
        for (const auto& m : migration_status(db)) (m.applied ? applied : pending)++;
        report(pending == 0, "database", "connected (" + settings.source + "), " + std::to_string(applied) + " migrations applied" +
                                             (pending ? ", " + std::to_string(pending) + " pending" : ""),
               "run: asgard migrate");
    } catch (const std::exception& e) {
        report(false, "database", e.what(), "check database_url in " + settings.source + " and that PostgreSQL is running");
    }

    std::string host = settings.redis.substr(0, settings.redis.rfind(':'));
    int port = std::atoi(settings.redis.c_str() + settings.redis.rfind(':') + 1);
    try {
        RedisConnection redis(host, port, 2000);
        auto pong = redis.command({"PING"});
        report(true, "redis", "answers at " + settings.redis);
    } catch (const std::exception& e) {
        report(false, "redis", e.what(), "start Redis or fix 'redis = IP:PORT' in the config file and asgard_redis in nginx.conf");
    }

    if (settings.master_key_file.empty()) {
        report(false, "master key", "no master_key_file in the config file", "add master_key_file = /etc/asgard/master.key");
    } else {
        try {
            std::string key = load_master_key(settings.master_key_file);
            report(true, "master key", settings.master_key_file + " (mode 0600, " + std::to_string(key.size()) + " bytes)");
        } catch (const std::exception& e) {
            report(false, "master key", e.what(), "create it with: (umask 077; openssl rand -hex 32 > FILE)");
        }
    }

    std::string conf = args.option("nginx-conf").value_or("");
    std::string prefix = args.option("nginx-prefix").value_or("");
    struct stat st {};
    if (conf.empty() && stat(".asgard/nginx/nginx.conf", &st) == 0) {
        conf = ".asgard/nginx/nginx.conf";
        prefix = prefix.empty() ? ".asgard/nginx" : prefix;
    }
    if (conf.empty()) conf = "/etc/nginx/nginx.conf";
    auto absolute = [](const std::string& p) {
        char* real = realpath(p.c_str(), nullptr);
        std::string out = real ? real : p;
        std::free(real);
        return out;
    };
    conf = absolute(conf);
    if (!prefix.empty()) prefix = absolute(prefix);
    int status = 0;
    std::string command = "nginx -t -q " + (prefix.empty() ? "" : "-p " + quoted(prefix) + " ") + "-c " + quoted(conf);
    if (!prefix.empty()) command += " -e " + quoted(prefix + "/logs/doctor-error.log");
    std::string output = run(command, status);
    report(status == 0, "nginx", status == 0 ? conf + " passes nginx -t" : conf + ": " + output.substr(0, 400),
           "fix the configuration; see conf.examples/ and the directives in README.md");

    std::string text = file_text(conf);
    std::size_t at = text.find("load_module");
    if (at == std::string::npos) {
        report(false, "module", conf + " does not load ngx_http_asgard_module.so", "add: load_module modules/ngx_http_asgard_module.so;");
    } else {
        std::size_t start = text.find_first_not_of(" \t", at + 11), end = text.find(';', at);
        std::string path = text.substr(start, end - start);
        if (!path.empty() && path.front() != '/' && !prefix.empty()) path = prefix + "/" + path;
        std::string module = file_text(path);
        std::size_t tag = module.find("asgard-module-version=");
        std::string version = tag == std::string::npos ? "" : module.substr(tag + 22, module.find(';', tag) - tag - 22);
        if (module.empty())
            report(false, "module", "cannot read " + path, "build it with scripts/build (or see README: install into an existing nginx)");
        else
            report(version == ASG_VERSION, "module", path + " is version " + (version.empty() ? "(unknown)" : version) +
                                                     ", this asgard is " + ASG_VERSION,
                   "install the module and the asgard command from the same build, then reload nginx");
    }

    if (failures == 0) std::printf("all checks passed\n");
    return failures == 0 ? 0 : 1;
}

}  // namespace asg::cli
