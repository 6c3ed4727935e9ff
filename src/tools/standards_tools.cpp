// list_standards and get_standards: the organisation's normative standards, read-only over MCP.
#include <optional>

#include "store/standards_store.hpp"
#include "tools/tool_registry.hpp"

namespace asg {

static const char kNamePattern[] = "^[a-z0-9][a-z0-9_-]{0,63}$";

static json_t* summary_json(const StandardRow& s) {
    return json_pack("{s:s,s:s,s:i,s:s}", "name", s.name.c_str(), "title", s.title.c_str(),
                     "version", s.version, "updated", s.updated.c_str());
}

static ToolResult run_list_standards(const ToolContext&, const json_t*) {
    Json list = json_own(json_array());
    for (const auto& s : list_latest_standards(thread_pg())) json_array_append_new(list.get(), summary_json(s));
    return tool_ok(json_own(json_pack("{s:O}", "standards", list.get())));
}

static std::string known_names(PgConnection& db) {
    std::string names;
    for (const auto& s : list_latest_standards(db)) names += (names.empty() ? "" : ", ") + s.name;
    return names;
}

static ToolResult run_get_standards(const ToolContext&, const json_t* args) {
    std::optional<std::string> name;
    std::optional<int> version;
    if (const json_t* n = json_object_get(args, "name")) name = json_string_value(n);
    if (const json_t* v = json_object_get(args, "version")) version = static_cast<int>(json_integer_value(v));
    if (version && !name) return tool_error("invalid_arguments", "version needs a name");
    PgConnection& db = thread_pg();
    auto rows = get_standards(db, name, version);
    if (name && rows.empty()) {
        if (version) {
            auto latest = get_standards(db, name, std::nullopt);
            if (!latest.empty())
                return tool_error("not_found", "standard '" + *name + "' has no version " +
                                                   std::to_string(*version) + " (latest is " +
                                                   std::to_string(latest[0].version) + ")");
        }
        return tool_error("not_found", "unknown standard '" + *name + "' (known: " + known_names(db) + ")");
    }
    Json list = json_own(json_array());
    for (const auto& s : rows) {
        json_t* item = summary_json(s);
        json_object_set_new(item, "author", json_string(s.author.c_str()));
        json_object_set_new(item, "body", json_stringn(s.body.data(), s.body.size()));
        json_array_append_new(list.get(), item);
    }
    return tool_ok(json_own(json_pack("{s:O}", "standards", list.get())));
}

static const char kSummarySchema[] =
    R"({"type":"object","required":["name","title","version","updated"],"properties":{)"
    R"("name":{"type":"string"},"title":{"type":"string"},"version":{"type":"integer"},)"
    R"("updated":{"type":"string","description":"RFC 3339 time of this version"}}})";

void add_standards_tools(std::vector<ToolDef>& out) {
    static const std::string list_output =
        std::string(R"({"type":"object","required":["standards"],"properties":{"standards":{"type":"array","items":)") +
        kSummarySchema + "}}}";
    static const std::string get_input =
        std::string(R"({"type":"object","additionalProperties":false,"properties":{)"
                    R"("name":{"type":"string","pattern":")") + kNamePattern +
        R"(","description":"One standard by name (engineering, security, workflow, ...). Omit to get all."},)"
        R"("version":{"type":"integer","minimum":1,"maximum":1000000,"description":"A specific version of the named standard; default the latest."}}})";
    static const std::string get_output =
        R"({"type":"object","required":["standards"],"properties":{"standards":{"type":"array","items":)"
        R"({"type":"object","required":["name","title","version","updated","author","body"],"properties":{)"
        R"("name":{"type":"string"},"title":{"type":"string"},"version":{"type":"integer"},)"
        R"("updated":{"type":"string"},"author":{"type":"string"},"body":{"type":"string","description":"Markdown"}}}}}})";
    out.push_back({"list_standards", "List engineering standards",
                   "Lists the organisation's normative standards (engineering, security, workflow, ...) "
                   "with their current version. Read them before writing code: your output must meet them. "
                   "Standards are read-only over MCP; an admin edits them and every edit is a new version.",
                   R"({"type":"object","additionalProperties":false,"properties":{}})", list_output.c_str(),
                   true, false, true, run_list_standards});
    out.push_back({"get_standards", "Get engineering standards",
                   "Returns the body (Markdown) and version of one standard by name, or of every "
                   "standard when no name is given.",
                   get_input.c_str(), get_output.c_str(), true, false, true, run_get_standards});
}

}  // namespace asg
