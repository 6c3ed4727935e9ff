// asgard login-link: a one-time link that signs a user in to the dashboard.
#include <cstdio>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "store/audit_log.hpp"
#include "store/browser_session_store.hpp"
#include "store/user_store.hpp"

namespace asg::cli {

static const char kLoginLinkHelp[] =
    "usage: asgard login-link --user NAME [--ttl 15m] [--url BASE] [--json]\n"
    "Prints a one-time link that signs NAME in to the dashboard: opening it shows one \"Sign in as\n"
    "NAME\" button (so mail and chat scanners that fetch links do not use it up); pressing it starts\n"
    "a browser session. The link works once, until --ttl (default 15m, at most 7d). BASE is the\n"
    "address people open (default: public_url in asgard.conf, else http://127.0.0.1:8080); the\n"
    "secret is in the URL's #fragment, which browsers never send to a server or a log.\n";

int run_login_link(const CliSettings& settings, const Words& words) {
    Args args(words, {"user", "ttl", "url"}, {"json"});
    if (args.help()) return std::printf("%s", kLoginLinkHelp), 0;
    args.expect_positionals(0, "asgard login-link --user NAME");
    auto name = args.option("user");
    if (!name) throw CliError("--user NAME is required", 2);
    long long ttl = parse_duration_seconds(args.option("ttl").value_or("15m"));
    if (ttl <= 0 || ttl > 7 * 86400) throw CliError("--ttl must be between 1s and 7d", 2);
    std::string base = args.option("url").value_or(settings.public_url.empty() ? "http://127.0.0.1:8080" : settings.public_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) throw CliError("--url must start with http:// or https://", 2);
    PgConnection db(settings.database_url);
    auto user = find_user(db, *name);
    if (!user) throw CliError("no user named " + *name + " (create one with asgard user add)");
    LoginLink link = pg_transaction(db, [&] {
        LoginLink l = create_login_link(db, user->id, ttl);
        audit_append(db, {cli_actor(), std::nullopt, "login_link.create", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:s}", "user", name->c_str(), "expires", l.expires.c_str())).get())});
        return l;
    });
    std::string url = base + "/dashboard/#/signin/" + link.secret;
    if (args.flag("json")) {
        print_json(json_own(json_pack("{s:s,s:s,s:s}", "user", name->c_str(), "url", url.c_str(), "expires", link.expires.c_str())).get());
    } else {
        std::printf("%s\n", url.c_str());
        std::fprintf(stderr, "a one-time sign-in link for %s, until %s\n", name->c_str(), link.expires.c_str());
    }
    return 0;
}

}  // namespace asg::cli
