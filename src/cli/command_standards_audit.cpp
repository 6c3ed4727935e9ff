// asgard standards list|show|put and asgard audit tail|calls|verify.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "gateway/spend_log.hpp"
#include "operations/admin_operations.hpp"
#include "store/audit_log.hpp"
#include "store/gateway_call_log.hpp"
#include "store/standards_store.hpp"
#include "util/json_ptr.hpp"
#include "util/money.hpp"

namespace asg::cli {

static const char kStandardsHelp[] =
    "usage: asgard standards list [--json]\n"
    "       asgard standards show NAME [--version N] [--json]\n"
    "       asgard standards put NAME --file F [--title T] [--author A] [--note WHY]\n"
    "put appends a new version (earlier versions never change). The title defaults to the\n"
    "file's first Markdown heading, else the current title; the author to the CLI user.\n";

static const char kAuditHelp[] =
    "usage: asgard audit tail [-n N] [--json]\n"
    "       asgard audit calls [-n N] [--project P] [--json]\n"
    "       asgard audit verify\n"
    "tail shows the control plane's audit log (mutations, secret reads, denials); calls the\n"
    "gateway's call log (one row per /api/gateway/chat call). verify walks both hash chains and\n"
    "reports an edited or deleted row (exit 1).\n";

static int count_option(const Args& args) {
    std::string n = args.option("n").value_or("20");
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos)
        throw CliError("--n must be a number", 2);
    return std::stoi(n);
}

static std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CliError("cannot read " + path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

static std::string first_heading(const std::string& body) {
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("# ", 0) == 0) return line.substr(2);
    return "";
}

int run_standards(const CliSettings& settings, const Words& words) {
    Args args(words, {"file", "title", "author", "version", "note"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kStandardsHelp), args.help() ? 0 : 2;
    std::string verb = args.positional_at(0, "subcommand");
    PgConnection db(settings.database_url);
    if (verb == "list") {
        args.expect_positionals(1, "asgard standards list [--json]");
        auto rows = list_latest_standards(db);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& s : rows)
                json_array_append_new(list.get(), json_pack("{s:s,s:s,s:i,s:s,s:s}", "name", s.name.c_str(), "title",
                                                            s.title.c_str(), "version", s.version, "updated",
                                                            s.updated.c_str(), "author", s.author.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> table;
            for (const auto& s : rows) table.push_back({s.name, std::to_string(s.version), s.title, s.updated, s.author});
            print_table({"NAME", "VERSION", "TITLE", "UPDATED", "AUTHOR"}, table);
        }
        return 0;
    }
    if (verb == "show") {
        args.expect_positionals(2, "asgard standards show NAME [--version N]");
        std::optional<int> version;
        if (auto v = args.option("version")) {
            if (v->empty() || v->size() > 6 || v->find_first_not_of("0123456789") != std::string::npos)
                throw CliError("--version must be a positive number", 2);
            version = std::stoi(*v);
        }
        auto rows = get_standards(db, args.positional()[1], version);
        if (rows.empty()) throw CliError("no standard " + args.positional()[1] + (version ? " version " + std::to_string(*version) : ""));
        if (args.flag("json"))
            print_json(json_own(json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "name", rows[0].name.c_str(), "title", rows[0].title.c_str(),
                                          "version", rows[0].version, "updated", rows[0].updated.c_str(), "author",
                                          rows[0].author.c_str(), "body", rows[0].body.c_str())).get());
        else
            std::printf("%s", rows[0].body.c_str());
        return 0;
    }
    if (verb == "put") {
        args.expect_positionals(2, "asgard standards put NAME --file F");
        std::string name = args.positional()[1];
        auto file = args.option("file");
        if (!file) throw CliError("--file F is required", 2);
        std::string body = read_whole_file(*file);
        if (body.empty()) throw CliError(*file + " is empty");
        if (!valid_utf8(body)) throw CliError(*file + " is not valid UTF-8");
        std::string title = args.option("title").value_or(first_heading(body));
        if (title.empty()) {
            auto current = get_standards(db, name, std::nullopt);
            if (current.empty()) throw CliError("a new standard needs --title (or a '# Heading' first line)", 2);
            title = current[0].title;
        }
        std::string author = args.option("author").value_or(cli_actor().substr(4));
        StandardRow row = [&] {
            try {
                return save_standard(db, name, title, body, args.option("note").value_or(""), author, cli_actor());
            } catch (const RequestRefused& e) {
                throw CliError(e.what(), 2);
            }
        }();
        std::printf("standard %s is now version %d\n", row.name.c_str(), row.version);
        return 0;
    }
    throw CliError("unknown subcommand 'standards " + verb + "' (see asgard standards --help)", 2);
}

int run_audit(const CliSettings& settings, const Words& words) {
    Args args(words, {"n", "project"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kAuditHelp), args.help() ? 0 : 2;
    std::string verb = args.positional_at(0, "subcommand");
    PgConnection db(settings.database_url);
    if (verb == "tail") {
        args.expect_positionals(1, "asgard audit tail [--n N] [--json]");
        if (args.option("project")) throw CliError("--project is for asgard audit calls", 2);
        auto rows = audit_tail(db, count_option(args));
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& r : rows) {
                json_error_t err;
                json_t* detail = json_loads(r.detail.c_str(), 0, &err);
                json_array_append_new(list.get(), json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o?}", "id", (json_int_t)r.id,
                    "at", r.at.c_str(), "actor", r.actor.c_str(), "credential_id", r.credential_id.c_str(), "tool",
                    r.tool.c_str(), "project_id", r.project_id.c_str(), "outcome", r.outcome.c_str(), "detail", detail));
            }
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> table;
            for (const auto& r : rows)
                table.push_back({std::to_string(r.id), r.at, r.actor, r.credential_id.empty() ? "-" : r.credential_id, r.tool,
                                 r.project_id.empty() ? "-" : r.project_id, r.outcome, r.detail});
            print_table({"ID", "AT", "ACTOR", "CREDENTIAL", "TOOL", "PROJECT", "OUTCOME", "DETAIL"}, table);
        }
        return 0;
    }
    if (verb == "calls") {
        args.expect_positionals(1, "asgard audit calls [--n N] [--project P] [--json]");
        auto rows = gateway_calls_tail(db, count_option(args), args.option("project"));
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& r : rows)
                json_array_append_new(list.get(), json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:s}",
                    "id", (json_int_t)r.id, "at", r.at.c_str(), "project_id", r.project_id.c_str(), "token_id",
                    (json_int_t)r.token_id, "model", r.model.c_str(), "data_class", r.data_class.c_str(), "outcome",
                    r.outcome.c_str(), "status", (json_int_t)r.status, "input_tokens", (json_int_t)r.input_tokens,
                    "output_tokens", (json_int_t)r.output_tokens, "cost_usd", format_usd(r.cost_micro_usd).c_str(), "redacted",
                    r.redacted.c_str(), "request_id", r.request_id.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> table;
            auto or_dash = [](const std::string& v) { return v.empty() ? std::string("-") : v; };
            for (const auto& r : rows)
                table.push_back({std::to_string(r.id), r.at, r.project_id, std::to_string(r.token_id), or_dash(r.model),
                                 or_dash(r.data_class), r.outcome, std::to_string(r.status),
                                 std::to_string(r.input_tokens) + "/" + std::to_string(r.output_tokens),
                                 format_usd(r.cost_micro_usd), or_dash(r.redacted), r.request_id});
            print_table({"ID", "AT", "PROJECT", "KEY", "MODEL", "DATA_CLASS", "OUTCOME", "STATUS", "TOKENS IN/OUT",
                         "COST_USD", "REDACTED", "REQUEST_ID"},
                        table);
        }
        return 0;
    }
    if (verb == "verify") {
        args.expect_positionals(1, "asgard audit verify");
        std::int64_t checked = 0, calls = 0;
        std::string problem = audit_verify(db, checked);
        if (!problem.empty()) throw CliError("audit log tampered: " + problem);
        problem = gateway_calls_verify(db, calls);
        if (!problem.empty()) throw CliError("gateway call log tampered: " + problem);
        std::printf("audit log intact: %lld rows verified\n", (long long)checked);
        std::printf("gateway call log intact: %lld rows verified\n", (long long)calls);
        return 0;
    }
    throw CliError("unknown subcommand 'audit " + verb + "' (see asgard audit --help)", 2);
}

}  // namespace asg::cli
