// asgard guidance | recipes: the operator's view of guidance and recipe documents (drafts too),
// and publishing a version directly from a file.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "store/audit_log.hpp"
#include "store/document_store.hpp"
#include "store/user_store.hpp"

namespace asg::cli {

static int run_documents(const CliSettings& settings, const Words& words, const std::string& kind, const char* command) {
    Args args(words, {"file", "title", "version", "author"}, {"json", "draft"});
    std::string help = std::string("usage: asgard ") + command + " list [--json]\n"
                       "       asgard " + command + " show NAME [--version N] [--json]\n"
                       "       asgard " + command + " put NAME --file F [--title T] [--author USER] [--draft]\n"
                       "list and show include drafts. put adds a version, published at once unless --draft\n"
                       "(agents' guidance_put/recipe_put always make drafts; review them with asgard drafts).\n";
    if (args.help() || args.positional().empty()) return std::printf("%s", help.c_str()), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        args.expect_positionals(1, (std::string("asgard ") + command + " list").c_str());
        auto docs = list_documents(db, kind, 0, true);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& d : docs)
                json_array_append_new(list.get(), json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "name", d.name.c_str(), "version", d.version,
                                                            "status", d.status.c_str(), "title", d.title.c_str(), "author",
                                                            d.author.c_str(), "created", d.created.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : docs) rows.push_back({d.name, std::to_string(d.version), d.status, d.title, d.author, d.created});
            print_table({"NAME", "VERSION", "STATUS", "TITLE", "AUTHOR", "CREATED"}, rows);
        }
        return 0;
    }
    if (verb == "show") {
        args.expect_positionals(2, (std::string("asgard ") + command + " show NAME [--version N]").c_str());
        std::optional<int> version;
        if (auto v = args.option("version")) {
            if (v->empty() || v->size() > 6 || v->find_first_not_of("0123456789") != std::string::npos)
                throw CliError("--version must be a positive number", 2);
            version = std::stoi(*v);
        }
        auto doc = get_document(db, kind, args.positional()[1], version, 0, true);
        if (!doc) throw CliError("no " + kind + " " + args.positional()[1] + (version ? " version " + std::to_string(*version) : ""));
        if (args.flag("json"))
            print_json(json_own(json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "name", doc->name.c_str(), "version", doc->version, "status",
                                          doc->status.c_str(), "title", doc->title.c_str(), "author", doc->author.c_str(), "body",
                                          doc->body.c_str())).get());
        else
            std::printf("%s", doc->body.c_str());
        return 0;
    }
    if (verb == "put") {
        args.expect_positionals(2, (std::string("asgard ") + command + " put NAME --file F").c_str());
        std::string name = args.positional()[1];
        auto file = args.option("file");
        if (!file) throw CliError("--file F is required", 2);
        std::ifstream in(*file, std::ios::binary);
        if (!in) throw CliError("cannot read " + *file);
        std::stringstream buffer;
        buffer << in.rdbuf();
        std::string body = buffer.str();
        if (body.empty()) throw CliError(*file + " is empty");
        json_t* probe = json_stringn(body.data(), body.size());
        if (probe == nullptr) throw CliError(*file + " is not valid UTF-8");
        json_decref(probe);
        std::string title = args.option("title").value_or("");
        if (title.empty()) {
            std::istringstream lines(body);
            std::string line;
            while (std::getline(lines, line))
                if (line.rfind("# ", 0) == 0) {
                    title = line.substr(2);
                    break;
                }
        }
        if (title.empty()) throw CliError("give --title (or start the file with a '# Heading')", 2);
        std::string author_name = args.option("author").value_or("");
        std::int64_t author_id = 0;
        if (!author_name.empty()) {
            auto user = find_user(db, author_name);
            if (!user) throw CliError("no user " + author_name);
            author_id = user->id;
        }
        DocumentRow row = [&] {
            try {
                return put_draft(db, kind, name, title, body, author_id,
                                 author_name.empty() ? cli_actor().substr(4) : author_name);
            } catch (const PgError& e) {
                if (e.sqlstate == "23514")
                    throw CliError("invalid " + kind + ": names are lower-case letters, digits, '_' and '-'; titles 1-200 characters", 2);
                throw;
            }
        }();
        bool publish = !args.flag("draft");
        if (publish) decide_draft(db, kind, row.name, row.version, "published", cli_actor(), std::nullopt);
        audit_append(db, {cli_actor(), std::nullopt, kind + ".put", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:i,s:s}", "name", name.c_str(), "version", row.version,
                                                            "status", publish ? "published" : "draft")).get())});
        std::printf("%s %s version %d %s\n", kind.c_str(), name.c_str(), row.version, publish ? "published" : "saved as a draft");
        return 0;
    }
    throw CliError("unknown subcommand '" + std::string(command) + " " + verb + "' (see asgard " + command + " --help)", 2);
}

int run_guidance(const CliSettings& settings, const Words& words) { return run_documents(settings, words, "guidance", "guidance"); }
int run_recipes(const CliSettings& settings, const Words& words) { return run_documents(settings, words, "recipe", "recipes"); }

}  // namespace asg::cli
