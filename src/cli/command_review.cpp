// asgard drafts | requests: the admin's review queue for guidance/recipe drafts and review-tier requests.
#include <cstdio>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "config/runtime_config.hpp"
#include "operations/admin_operations.hpp"
#include "provisioning/request_flow.hpp"
#include "store/audit_log.hpp"
#include "store/document_store.hpp"

namespace asg::cli {

static const char kDraftsHelp[] =
    "usage: asgard drafts list [--json]\n"
    "       asgard drafts show KIND/NAME@VERSION       e.g. guidance/code-review@2\n"
    "       asgard drafts approve KIND/NAME@VERSION    publish it (published versions never change)\n"
    "       asgard drafts reject KIND/NAME@VERSION --reason TEXT\n";
static const char kRequestsHelp[] =
    "usage: asgard requests list [--state STATE] [--project ID] [--json]\n"
    "       asgard requests show ID [--json]\n"
    "       asgard requests approve ID      runs the service's driver (a webhook for external types)\n"
    "       asgard requests deny ID --reason TEXT\n";

struct DraftRef {
    std::string kind, name;
    int version = 0;
};

static DraftRef parse_ref(const std::string& text) {
    auto slash = text.find('/');
    auto at = text.rfind('@');
    if (slash == std::string::npos || at == std::string::npos || at < slash)
        throw CliError("a draft is named KIND/NAME@VERSION, e.g. guidance/code-review@2 (see asgard drafts list)", 2);
    DraftRef ref{text.substr(0, slash), text.substr(slash + 1, at - slash - 1), 0};
    std::string v = text.substr(at + 1);
    if (ref.kind != "guidance" && ref.kind != "recipe") throw CliError("KIND is guidance or recipe", 2);
    if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos)
        throw CliError("VERSION must be a number", 2);
    ref.version = std::stoi(v);
    return ref;
}

int run_drafts(const CliSettings& settings, const Words& words) {
    Args args(words, {"reason"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kDraftsHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        auto drafts = list_drafts(db);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& d : drafts)
                json_array_append_new(list.get(), json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "id",
                    (d.kind + "/" + d.name + "@" + std::to_string(d.version)).c_str(), "kind", d.kind.c_str(), "name",
                    d.name.c_str(), "version", d.version, "title", d.title.c_str(), "author", d.author.c_str(), "created", d.created.c_str()));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : drafts)
                rows.push_back({d.kind + "/" + d.name + "@" + std::to_string(d.version), d.title, d.author, d.created});
            print_table({"DRAFT", "TITLE", "AUTHOR", "CREATED"}, rows);
        }
        return 0;
    }
    if (verb != "show" && verb != "approve" && verb != "reject")
        throw CliError("unknown subcommand 'drafts " + verb + "' (see asgard drafts --help)", 2);
    DraftRef ref = parse_ref(args.positional_at(1, "KIND/NAME@VERSION"));
    if (verb == "show") {
        auto doc = get_document(db, ref.kind, ref.name, ref.version, 0, true);
        if (!doc) throw CliError("no " + ref.kind + " " + ref.name + " version " + std::to_string(ref.version));
        std::printf("%s/%s@%d  %s  [%s, by %s, %s]\n\n%s", doc->kind.c_str(), doc->name.c_str(), doc->version, doc->title.c_str(),
                    doc->status.c_str(), doc->author.c_str(), doc->created.c_str(), doc->body.c_str());
        return 0;
    }
    if (verb == "approve" || verb == "reject") {
        auto reason = args.option("reason");
        if (verb == "reject" && (!reason || reason->empty())) throw CliError("reject needs --reason TEXT", 2);
        try {
            decide_document_draft(db, ref.kind, ref.name, ref.version, verb == "approve", cli_actor(), reason);
        } catch (const RequestRefused& e) {
            throw CliError(e.what());
        }
        std::printf("%s/%s@%d %s\n", ref.kind.c_str(), ref.name.c_str(), ref.version, verb == "approve" ? "published" : "rejected");
        return 0;
    }
    throw CliError("unknown subcommand 'drafts " + verb + "' (see asgard drafts --help)", 2);
}

static json_t* request_to_json(const ResourceRow& r) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", r.id.c_str(), "project_id", r.project_id.c_str(), "service",
                     r.service_type.c_str(), "state", r.state.c_str(), "reason", r.reason.c_str(), "requested_by",
                     r.requested_by.c_str(), "created", r.created.c_str());
}

static void configure_core(const CliSettings& settings) {
    auto config = std::make_shared<RuntimeConfig>();
    config->database_url = settings.database_url;
    auto colon = settings.redis.rfind(':');
    config->redis_host = settings.redis.substr(0, colon);
    if (colon != std::string::npos) config->redis_port = std::atoi(settings.redis.c_str() + colon + 1);
    if (settings.master_key_file.empty())
        throw CliError("approving provisions secrets, which needs the master key: set master_key_file in the config file");
    config->master_key = load_master_key(settings.master_key_file);
    set_runtime_config(config);
}

int run_requests(const CliSettings& settings, const Words& words) {
    Args args(words, {"reason", "state", "project"}, {"json"});
    if (args.help() || args.positional().empty()) return std::printf("%s", kRequestsHelp), args.help() ? 0 : 2;
    std::string verb = args.positional()[0];
    PgConnection db(settings.database_url);
    if (verb == "list") {
        auto rows = list_requests(db, args.option("project"), args.option("state"));
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& r : rows) json_array_append_new(list.get(), request_to_json(r));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> table;
            for (const auto& r : rows)
                table.push_back({r.id, r.project_id, r.service_type, r.state, r.requested_by, r.created, r.reason.empty() ? "-" : r.reason});
            print_table({"ID", "PROJECT", "SERVICE", "STATE", "BY", "CREATED", "REASON"}, table);
        }
        return 0;
    }
    if (verb != "show" && verb != "approve" && verb != "deny")
        throw CliError("unknown subcommand 'requests " + verb + "' (see asgard requests --help)", 2);
    std::string id = args.positional_at(1, "request ID");
    if (verb == "show") {
        auto r = find_request(db, id);
        if (!r) throw CliError("no request " + id);
        Json j = json_own(request_to_json(*r));
        json_error_t e;
        json_object_set_new(j.get(), "params", json_loads(r->params_json.c_str(), 0, &e));
        json_object_set_new(j.get(), "justification", json_string(r->justification.c_str()));
        json_object_set_new(j.get(), "outputs", json_loads(r->outputs_json.c_str(), 0, &e));
        Json events = json_own(json_array());
        for (const auto& ev : request_events(db, id))
            json_array_append_new(events.get(), json_pack("{s:s,s:s,s:s,s:s,s:s}", "at", ev.at.c_str(), "from", ev.from_state.c_str(),
                                                          "to", ev.to_state.c_str(), "actor", ev.actor.c_str(), "note", ev.note.c_str()));
        json_object_set(j.get(), "events", events.get());
        print_json(j.get());
        return 0;
    }
    if (verb == "approve") {
        configure_core(settings);
        FlowResult result;
        try {
            result = approve_request(db, id, cli_actor());
        } catch (const PgError&) {
            throw;
        } catch (const std::exception& e) {
            throw CliError(e.what());
        }
        if (result.request.state == "failed") throw CliError("request " + id + " failed: " + result.request.reason);
        std::printf("request %s approved: %s\n", id.c_str(), result.request.state.c_str());
        if (!result.one_time_credential.empty()) std::printf("key (shown once): %s\n", result.one_time_credential.c_str());
        return 0;
    }
    if (verb == "deny") {
        auto reason = args.option("reason");
        if (!reason || reason->empty()) throw CliError("deny needs --reason TEXT", 2);
        try {
            deny_request(db, id, cli_actor(), *reason);
        } catch (const PgError&) {
            throw;
        } catch (const std::exception& e) {
            throw CliError(e.what());
        }
        std::printf("request %s denied\n", id.c_str());
        return 0;
    }
    throw CliError("unknown subcommand 'requests " + verb + "' (see asgard requests --help)", 2);
}

}  // namespace asg::cli
