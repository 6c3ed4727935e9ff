// seed_plan and seed_get: the minimal set of guidance files for a repo, and each file's content.
#include <algorithm>
#include <cctype>

#include "store/seed_store.hpp"
#include "tools/tool_registry.hpp"
#include "tools/tool_support.hpp"
#include "util/crypto.hpp"

namespace asg {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// " words separated by single spaces " for whole-word (and phrase) matching.
std::string normalized(const std::string& text) {
    std::string out = " ";
    for (char c : lower(text)) {
        bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '#';
        if (word) out += c;
        else if (out.back() != ' ') out += ' ';
    }
    if (out.back() != ' ') out += ' ';
    return out;
}

bool applies(const SeedFile& f, const std::string& name) {
    return std::find(f.applies_to.begin(), f.applies_to.end(), name) != f.applies_to.end();
}

json_t* plan_entry(const SeedFile& f, const std::string& why) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", f.id.c_str(), "kind", f.kind.c_str(), "target", f.target.c_str(),
                     "title", f.title.c_str(), "why", why.c_str());
}

ToolResult run_seed_plan(const ToolContext&, const json_t* args) {
    auto library = load_seed_library(thread_pg(), false);
    if (library.empty())
        return tool_error("empty_library", "the seed library is empty: an operator loads it with asgard migrate or asgard seed import DIR");
    Json files = json_own(json_array());
    Json unmatched = json_own(json_array());
    std::vector<std::string> chosen;
    auto add = [&](const SeedFile& f, const std::string& why) {
        if (std::find(chosen.begin(), chosen.end(), f.id) != chosen.end()) return;
        chosen.push_back(f.id);
        json_array_append_new(files.get(), plan_entry(f, why));
    };
    for (const auto& f : library)
        if (f.kind == "core") add(f, f.why);
    std::size_t i;
    json_t* item;
    json_array_foreach(json_object_get(args, "languages"), i, item) {
        std::string language = lower(json_string_value(item));
        bool found = false;
        for (const auto& f : library)
            if (f.kind == "language" && applies(f, language)) {
                add(f, "the repo uses " + std::string(json_string_value(item)) + ": " + f.why);
                found = true;
            }
        if (!found) json_array_append_new(unmatched.get(), json_string(json_string_value(item)));
    }
    json_array_foreach(json_object_get(args, "domains"), i, item) {
        std::string domain = lower(json_string_value(item));
        bool found = false;
        for (const auto& f : library)
            if (f.kind == "domain" && applies(f, domain)) {
                add(f, "requested domain " + domain + ": " + f.why);
                found = true;
            }
        if (!found) json_array_append_new(unmatched.get(), json_string(json_string_value(item)));
    }
    std::string description = normalized(*arg_string(args, "description"));
    for (const auto& f : library) {
        if (f.kind != "domain") continue;
        for (const auto& keyword : f.keywords) {
            std::string needle = normalized(keyword);
            if (needle.size() > 2 && description.find(needle) != std::string::npos) {
                add(f, "the description mentions \"" + keyword + "\": " + f.why);
                break;
            }
        }
    }
    for (const auto& f : library)
        if (f.kind == "template") add(f, f.why);
    return tool_ok(json_own(json_pack("{s:O,s:O,s:s}", "files", files.get(), "unmatched", unmatched.get(), "next",
                                      "call seed_get with each id and write its body to its target path")));
}

ToolResult run_seed_get(const ToolContext&, const json_t* args) {
    std::string id = *arg_string(args, "id");
    auto f = find_seed_file(thread_pg(), id);
    if (!f) return tool_error("not_found", "no seed file " + id + " (seed_plan lists the ids)");
    std::string sha = to_hex(as_view(sha256(f->body)));
    return tool_ok(json_own(json_pack("{s:s,s:s,s:s,s:s,s:s%,s:s,s:i}", "id", f->id.c_str(), "kind", f->kind.c_str(),
                                      "path", f->target.c_str(), "title", f->title.c_str(), "body", f->body.data(),
                                      f->body.size(), "sha256", sha.c_str(), "version", f->version)));
}

}  // namespace

void add_seed_tools(std::vector<ToolDef>& out) {
    out.push_back({"seed_plan", "Plan a repo's guidance files",
                   "Give the repo's languages and a one-line description of the work (and any domains you know: "
                   "web-service, data-pipeline, llm-app, cli-tool, library). Returns the minimal set of guidance files to "
                   "drop in: core, one add-on per language, domain overlays (named or inferred from the description) and "
                   "templates, each with its id, target path and why it was chosen.",
                   R"({"type":"object","additionalProperties":false,"required":["languages","description"],"properties":{)"
                   R"("languages":{"type":"array","maxItems":20,"items":{"type":"string","minLength":1,"maxLength":40}},)"
                   R"("description":{"type":"string","minLength":1,"maxLength":2000},)"
                   R"("domains":{"type":"array","maxItems":10,"items":{"type":"string","minLength":1,"maxLength":40}}}})",
                   R"({"type":"object","required":["files","unmatched"],"properties":{"files":{"type":"array","items":{"type":"object","required":["id","kind","target","title","why"],)"
                   R"("properties":{"id":{"type":"string"},"kind":{"type":"string","enum":["core","language","domain","template"]},"target":{"type":"string"},"title":{"type":"string"},"why":{"type":"string"}}}},)"
                   R"("unmatched":{"type":"array","items":{"type":"string"}},"next":{"type":"string"}}})",
                   true, false, true, run_seed_plan});
    out.push_back({"seed_get", "Get a guidance file", "One file of the seed library: its body, the path to write it to, and its sha256.",
                   R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string","pattern":"^(core|language|domain|template)/[a-z0-9][a-z0-9_-]{0,63}$"}}})",
                   R"({"type":"object","required":["id","path","body","sha256"],"properties":{"id":{"type":"string"},"kind":{"type":"string"},"path":{"type":"string"},)"
                   R"("title":{"type":"string"},"body":{"type":"string"},"sha256":{"type":"string"},"version":{"type":"integer"}}})",
                   true, false, true, run_seed_get});
}

}  // namespace asg
