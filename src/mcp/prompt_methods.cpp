// MCP prompts (prompts/list, prompts/get) for the contract's first moves, seeding a repository,
// registering and provisioning, and a project's status; and completion/complete for the arguments
// an agent cannot guess: the caller's project ids, service types, seed languages, and the names of
// standards, guidance and recipes in the resource templates.
#include <algorithm>
#include <exception>
#include <set>
#include <vector>

#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "store/document_store.hpp"
#include "store/pg_connection.hpp"
#include "store/project_store.hpp"
#include "store/resource_store.hpp"
#include "store/seed_store.hpp"
#include "store/standards_store.hpp"

namespace asg {

namespace {

struct PromptArgument {
    const char* name;
    const char* description;
    bool required;
};
struct Prompt {
    const char* name;
    const char* title;
    const char* description;
    std::vector<PromptArgument> arguments;
};

const std::vector<Prompt>& prompts() {
    static const std::vector<Prompt> all = {
        {"first-moves", "Start work with Asgard",
         "The contract's first moves: read the standards, plan the seed files, register the project, provision, mint the LLM key.", {}},
        {"seed-repository", "Seed this repository",
         "Plan and write the guidance files this repository needs (seed_plan, then seed_get for each).",
         {{"languages", "the repository's languages, comma-separated (e.g. typescript,python)", true},
          {"description", "one line on what the repository does", true}}},
        {"register-and-provision", "Register a project and provision a service",
         "register_project, then request the service and wait until it is ready.",
         {{"name", "the project's name", true},
          {"description", "what the project is for", true},
          {"service", "a service type from list_services (e.g. postgres)", false}}},
        {"project-status", "Report on a project",
         "A project's resources, their states and its month's cost.", {{"project_id", "proj-YYYY-NNNN, one you own or manage", true}}},
    };
    return all;
}

const Prompt* find_prompt(std::string_view name) {
    for (const Prompt& p : prompts())
        if (name == p.name) return &p;
    return nullptr;
}

std::string arg(const json_t* arguments, const char* name) {
    const json_t* v = json_is_object(arguments) ? json_object_get(arguments, name) : nullptr;
    return json_is_string(v) ? json_string_value(v) : "";
}

std::string prompt_text(const Prompt& p, const json_t* a) {
    std::string name = p.name;
    if (name == "first-moves") return std::string(kServerInstructions);
    if (name == "seed-repository")
        return "Seed this repository with Asgard's guidance files.\n1. Call seed_plan with languages [" + arg(a, "languages") +
               "] and description \"" + arg(a, "description") +
               "\".\n2. For each file it returns, call seed_get with its id and write the body to the path it gives (create "
               "directories as needed; keep a file that already exists unless the plan says to replace it).\n3. Read the standards "
               "(list_standards, get_standards) the files refer to, and follow them in what you write next.";
    if (name == "register-and-provision") {
        std::string service = arg(a, "service");
        return "1. Call register_project with name \"" + arg(a, "name") + "\" and description \"" + arg(a, "description") +
               "\"; note the project_id it returns.\n2. Call list_services" +
               (service.empty() ? std::string(" and pick the service the work needs.") : " and read the parameters of " + service + ".") +
               "\n3. Call request_resource with that project_id, the service type" + (service.empty() ? "" : " (" + service + ")") +
               ", its parameters and a one-line justification.\n4. Call get_resource until its state is ready (review-tier "
               "services wait for an administrator: say so and stop), then get_secret for the credentials it produced; keep them "
               "out of the repository.";
    }
    return "Report on project " + arg(a, "project_id") +
           ": call get_project, list_resources and get_cost with project_id " + arg(a, "project_id") +
           ", then summarise what is provisioned (and in which state), what is pending, and the month's spend against the budget.";
}

// Candidates for an argument, filtered by the prefix typed so far, at most 100.
Json completion(const std::vector<std::string>& candidates, std::string_view prefix) {
    std::vector<std::string> hits;
    for (const auto& c : candidates)
        if (c.compare(0, prefix.size(), prefix) == 0) hits.push_back(c);
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
    Json values = json_own(json_array());
    for (std::size_t i = 0; i < hits.size() && i < 100; ++i) json_array_append_new(values.get(), json_string(hits[i].c_str()));
    return json_own(json_pack("{s:{s:O,s:I,s:b}}", "completion", "values", values.get(), "total", (json_int_t)hits.size(), "hasMore",
                              hits.size() > 100));
}

std::vector<std::string> candidates_for(const asg_principal_t& who, std::string_view ref_type, std::string_view ref, std::string_view argument) {
    PgConnection& db = thread_pg();
    std::vector<std::string> out;
    if (ref_type == "ref/prompt" && argument == "project_id") {
        if (who.kind == ASG_CRED_PROJECT) {
            out.push_back(who.project_id);
        } else {
            for (const ProjectRow& p : list_projects_of(db, who.user_id, false)) out.push_back(p.id);
        }
    } else if (ref_type == "ref/prompt" && argument == "service") {
        for (const ServiceRow& s : list_services(db, true)) out.push_back(s.type);
    } else if (ref_type == "ref/prompt" && argument == "languages") {
        for (const SeedFile& f : load_seed_library(db, false))
            if (f.kind == "language") out.push_back(f.id.substr(f.id.find('/') + 1));
    } else if (ref_type == "ref/resource" && argument == "name") {
        if (ref.find("asgard://standards/") == 0) {
            for (const StandardRow& s : list_latest_standards(db)) out.push_back(s.name);
        } else if (ref.find("asgard://guidance/") == 0 || ref.find("asgard://recipes/") == 0) {
            const char* kind = ref.find("asgard://guidance/") == 0 ? "guidance" : "recipe";
            for (const DocumentRow& d : list_documents(db, kind, who.user_id, who.is_admin != 0)) out.push_back(d.name);
        }
    }
    return out;
}

}  // namespace

Json prompts_list(const json_t* id) {
    Json list = json_own(json_array());
    for (const Prompt& p : prompts()) {
        Json args = json_own(json_array());
        for (const auto& a : p.arguments)
            json_array_append_new(args.get(), json_pack("{s:s,s:s,s:b}", "name", a.name, "description", a.description, "required", a.required));
        json_array_append_new(list.get(), json_pack("{s:s,s:s,s:s,s:O}", "name", p.name, "title", p.title, "description", p.description,
                                                    "arguments", args.get()));
    }
    return jsonrpc_result(id, json_own(json_pack("{s:O}", "prompts", list.get())));
}

Json prompts_get(const json_t* id, const json_t* params) {
    const json_t* name = params ? json_object_get(params, "name") : nullptr;
    if (!json_is_string(name)) return jsonrpc_error(id, kInvalidParams, "params.name must be a prompt's name (see prompts/list)");
    const Prompt* p = find_prompt(json_string_value(name));
    if (p == nullptr) return jsonrpc_error(id, kInvalidParams, "Unknown prompt: " + std::string(json_string_value(name)));
    const json_t* arguments = json_object_get(params, "arguments");
    if (arguments != nullptr && !json_is_object(arguments)) return jsonrpc_error(id, kInvalidParams, "params.arguments must be an object");
    for (const auto& a : p->arguments)
        if (a.required && arg(arguments, a.name).empty())
            return jsonrpc_error(id, kInvalidParams, std::string("Missing required argument: ") + a.name + " (" + a.description + ")");
    std::string text = prompt_text(*p, arguments);
    return jsonrpc_result(id, json_own(json_pack("{s:s,s:[{s:s,s:{s:s,s:s%}}]}", "description", p->description, "messages", "role", "user",
                                                 "content", "type", "text", "text", text.data(), text.size())));
}

Json completion_complete(DispatchContext& ctx, const json_t* id, const json_t* params) {
    const json_t* ref = params ? json_object_get(params, "ref") : nullptr;
    const json_t* argument = params ? json_object_get(params, "argument") : nullptr;
    std::string_view ref_type = json_member_string(ref, "type");
    std::string_view ref_name = json_member_string(ref, ref_type == "ref/resource" ? "uri" : "name");
    std::string_view arg_name = json_member_string(argument, "name");
    std::string_view value = json_member_string(argument, "value");
    if ((ref_type != "ref/prompt" && ref_type != "ref/resource") || arg_name.empty())
        return jsonrpc_error(id, kInvalidParams, "completion/complete needs ref {type: ref/prompt|ref/resource} and argument {name, value}");
    if (ref_type == "ref/prompt" && find_prompt(ref_name) == nullptr)
        return jsonrpc_error(id, kInvalidParams, "Unknown prompt: " + std::string(ref_name));
    if (!ctx.allow_io) {
        ctx.needs_io = true;
        return nullptr;
    }
    try {
        return jsonrpc_result(id, completion(candidates_for(ctx.principal, ref_type, ref_name, arg_name), value));
    } catch (const PgError& e) {
        ctx.log_line = std::string("asgard: completion/complete: PostgreSQL: ") + e.what();
        if (pg_unavailable(e)) ctx.unavailable = true;
        return jsonrpc_error(id, kInternalError, "Asgard's database is unavailable; try again shortly");
    }
}

}  // namespace asg
