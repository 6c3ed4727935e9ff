// asgard user add|list|disable|enable|admin and asgard token create|list|revoke.
#include <cstdio>
#include <cstdlib>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "operations/user_operations.hpp"
#include "store/audit_log.hpp"
#include "store/user_store.hpp"

namespace asg::cli {

static const char kUserHelp[] =
    "usage: asgard user add NAME [--admin] [--json]\n"
    "       asgard user list [--json]\n"
    "       asgard user disable NAME --reason TEXT\n"
    "       asgard user enable NAME\n"
    "       asgard user admin NAME on|off\n"
    "Names are lower case: letters, digits, '.', '_' and '-', up to 63 characters.\n"
    "A disabled user's PATs stop working within the token cache TTL, their dashboard sessions end at\n"
    "once and they cannot sign in; their projects, and the projects' keys, are untouched.\n";

static const char kTokenHelp[] =
    "usage: asgard token create --user NAME [--expires 90d|12h|30m|never] [--json]\n"
    "       asgard token list [--user NAME] [--json]\n"
    "       asgard token revoke ID\n"
    "create prints a user token (asg_pat_...) once; only its SHA-256 digest is stored.\n"
    "The default expiry is 90d. A revoked token stops working within the token cache TTL plus 2 s.\n";

long long parse_duration_seconds(const std::string& text) {
    if (text == "never") return 0;
    if (text.size() < 2) throw CliError("invalid duration '" + text + "' (use 90d, 12h, 30m, 3600s or never)", 2);
    std::string digits = text.substr(0, text.size() - 1);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
        throw CliError("invalid duration '" + text + "' (use 90d, 12h, 30m, 3600s or never)", 2);
    long long n = std::stoll(digits);
    switch (text.back()) {
        case 'd': n *= 86400; break;
        case 'h': n *= 3600; break;
        case 'm': n *= 60; break;
        case 's': break;
        default: throw CliError("invalid duration '" + text + "' (use 90d, 12h, 30m, 3600s or never)", 2);
    }
    if (n <= 0) throw CliError("a duration must be positive (or never)", 2);
    return n;
}

int run_user(const CliSettings& settings, const Words& words) {
    Args args(words, {"reason"}, {"admin", "json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kUserHelp), args.help() ? 0 : 2;
    std::string verb = args.positional_at(0, "subcommand");
    PgConnection db(settings.database_url);
    // The operations' refusals are the user's input: exit 2 with their message.
    auto refused = [](const RequestRefused& e) { return CliError(e.what(), e.code == "not_found" || e.code == "already_exists" ? 1 : 2); };
    if (verb == "add") {
        args.expect_positionals(2, "asgard user add NAME [--admin]");
        std::string name = args.positional()[1];
        UserRow user;
        try {
            user = create_user(db, name, args.flag("admin"), cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        if (args.flag("json"))
            print_json(json_own(json_pack("{s:I,s:s,s:b}", "id", (json_int_t)user.id, "name", user.name.c_str(), "admin", user.is_admin)).get());
        else
            std::printf("created user %s%s (id %lld)\n", user.name.c_str(), user.is_admin ? " (admin)" : "", (long long)user.id);
        return 0;
    }
    if (verb == "disable" || verb == "enable") {
        args.expect_positionals(2, verb == "disable" ? "asgard user disable NAME --reason TEXT" : "asgard user enable NAME");
        std::string name = args.positional()[1];
        bool changed;
        try {
            changed = verb == "disable" ? disable_user(db, name, args.option("reason").value_or(""), "", cli_actor())
                                        : enable_user(db, name, cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("%s %s\n", name.c_str(), changed ? (verb == "disable" ? "is disabled" : "is enabled again")
                                                      : (verb == "disable" ? "was disabled already" : "was not disabled"));
        return 0;
    }
    if (verb == "admin") {
        args.expect_positionals(3, "asgard user admin NAME on|off");
        std::string name = args.positional()[1], state = args.positional()[2];
        if (state != "on" && state != "off") throw CliError("asgard user admin NAME on|off", 2);
        bool changed;
        try {
            changed = set_admin_flag(db, name, state == "on", "", cli_actor());
        } catch (const RequestRefused& e) {
            throw refused(e);
        }
        std::printf("%s %s an administrator%s\n", name.c_str(), state == "on" ? "is" : "is not", changed ? "" : " (unchanged)");
        return 0;
    }
    if (verb == "list") {
        args.expect_positionals(1, "asgard user list [--json]");
        auto users = list_users(db);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& u : users)
                json_array_append_new(list.get(), json_pack("{s:I,s:s,s:b,s:s}", "id", (json_int_t)u.id, "name",
                                                            u.name.c_str(), "admin", u.is_admin, "created", u.created.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& u : users) rows.push_back({std::to_string(u.id), u.name, u.is_admin ? "yes" : "no", u.created});
            print_table({"ID", "NAME", "ADMIN", "CREATED"}, rows);
        }
        return 0;
    }
    throw CliError("unknown subcommand 'user " + verb + "' (see asgard user --help)", 2);
}

static int token_create(PgConnection& db, const Args& args) {
    args.expect_positionals(1, "asgard token create --user NAME [--expires 90d]");
    auto name = args.option("user");
    if (!name) throw CliError("--user NAME is required", 2);
    long long expires = parse_duration_seconds(args.option("expires").value_or("90d"));
    auto user = find_user(db, *name);
    if (!user) throw CliError("no user named " + *name + " (create one with asgard user add)");
    MintedToken token = pg_transaction(db, [&] {
        MintedToken t = create_user_token(db, user->id, expires);
        audit_append(db, {cli_actor(), t.id, "token.create", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:I}", "user", name->c_str(), "token_id", (json_int_t)t.id)).get())});
        return t;
    });
    if (args.flag("json")) {
        print_json(json_own(json_pack("{s:I,s:s,s:s,s:s?}", "id", (json_int_t)token.id, "user", name->c_str(), "token",
                                      token.plaintext.c_str(), "expires", token.expires.empty() ? nullptr : token.expires.c_str())).get());
    } else {
        std::printf("%s\n", token.plaintext.c_str());
        std::fprintf(stderr, "token %lld for %s, expires %s. Shown once: store it like a password.\n",
                     (long long)token.id, name->c_str(), token.expires.empty() ? "never" : token.expires.c_str());
    }
    return 0;
}

int run_token(const CliSettings& settings, const Words& words) {
    Args args(words, {"user", "expires"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kTokenHelp), args.help() ? 0 : 2;
    std::string verb = args.positional_at(0, "subcommand");
    PgConnection db(settings.database_url);
    if (verb == "create") return token_create(db, args);
    if (verb == "list") {
        args.expect_positionals(1, "asgard token list [--user NAME] [--json]");
        auto tokens = list_tokens(db, args.option("user"));
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& t : tokens)
                json_array_append_new(list.get(), json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?}", "id", (json_int_t)t.id,
                    "kind", t.kind.c_str(), "owner", t.owner.c_str(), "prefix", t.display_prefix.c_str(),
                    "created", t.created.c_str(), "expires", t.expires.empty() ? nullptr : t.expires.c_str(),
                    "revoked", t.revoked.empty() ? nullptr : t.revoked.c_str(),
                    "last_used", t.last_used.empty() ? nullptr : t.last_used.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& t : tokens)
                rows.push_back({std::to_string(t.id), t.kind, t.owner, t.display_prefix + "...", t.created,
                                t.expires.empty() ? "never" : t.expires, t.revoked.empty() ? "-" : t.revoked,
                                t.last_used.empty() ? "-" : t.last_used});
            print_table({"ID", "KIND", "OWNER", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LAST USED"}, rows);
        }
        return 0;
    }
    if (verb == "revoke") {
        args.expect_positionals(2, "asgard token revoke ID");
        std::string id = args.positional()[1];
        if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
            throw CliError("token ID must be a number (see asgard token list)", 2);
        bool done = pg_transaction(db, [&] {
            bool revoked = revoke_token(db, std::stoll(id));
            if (revoked)
                audit_append(db, {cli_actor(), std::stoll(id), "token.revoke", std::nullopt, "ok", "{}"});
            return revoked;
        });
        if (!done) throw CliError("no live token with id " + id + " (already revoked, or unknown)");
        std::printf("revoked token %s\n", id.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'token " + verb + "' (see asgard token --help)", 2);
}

}  // namespace asg::cli
