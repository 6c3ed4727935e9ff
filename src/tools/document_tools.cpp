// Guidance and recipes over MCP: list, get, and put (a put is a draft until an admin approves it).
#include "store/document_store.hpp"
#include "tools/tool_registry.hpp"
#include "tools/tool_support.hpp"

namespace asg {

namespace {

json_t* document_json(const DocumentRow& d, bool with_body) {
    json_t* j = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s}", "name", d.name.c_str(), "title", d.title.c_str(), "version",
                          d.version, "status", d.status.c_str(), "author", d.author.c_str(), "created", d.created.c_str());
    if (with_body) json_object_set_new(j, "body", json_stringn(d.body.data(), d.body.size()));
    if (!d.decided_by.empty()) json_object_set_new(j, "decided_by", json_string(d.decided_by.c_str()));
    if (!d.reason.empty()) json_object_set_new(j, "reason", json_string(d.reason.c_str()));  // why it was rejected
    return j;
}

ToolResult list_kind(const ToolContext& ctx, const std::string& kind, const char* key) {
    Json list = json_own(json_array());
    for (const auto& d : list_documents(thread_pg(), kind, ctx.principal.user_id, ctx.principal.is_admin != 0))
        json_array_append_new(list.get(), document_json(d, false));
    return tool_ok(json_own(json_pack("{s:O}", key, list.get())));
}

ToolResult get_kind(const ToolContext& ctx, const json_t* args, const std::string& kind) {
    std::string name = *arg_string(args, "name");
    const json_t* v = json_object_get(args, "version");
    std::optional<int> version;
    if (json_is_integer(v)) version = static_cast<int>(json_integer_value(v));
    auto doc = get_document(thread_pg(), kind, name, version, ctx.principal.user_id, ctx.principal.is_admin != 0);
    if (!doc)
        return tool_error("not_found", "no " + kind + " '" + name + "'" + (version ? " version " + std::to_string(*version) : "") +
                                           " visible to you (drafts are visible to their author and admins)");
    return tool_ok(json_own(json_pack("{s:o}", kind.c_str(), document_json(*doc, true))));
}

ToolResult put_kind(const ToolContext& ctx, const json_t* args, const std::string& kind) {
    PgConnection& db = thread_pg();
    const std::string tool = kind + "_put";
    if (is_project_key(ctx))
        return deny(db, ctx, tool, ctx.principal.project_id, "project_key_forbidden",
                    "a project key cannot contribute " + kind + ": use a user token");
    DocumentRow draft = put_draft(db, kind, *arg_string(args, "name"), *arg_string(args, "title"), *arg_string(args, "body"),
                                  ctx.principal.user_id, ctx.principal.user_name);
    audit_tool(db, ctx, tool, std::nullopt, "ok",
               json_to_string(json_own(json_pack("{s:s,s:i,s:s}", "name", draft.name.c_str(), "version", draft.version,
                                                 "status", "draft")).get()));
    json_t* doc = document_json(draft, false);
    json_object_set_new(doc, "note", json_string("a draft: visible to you and to admins until an admin publishes it"));
    return tool_ok(json_own(json_pack("{s:o}", kind.c_str(), doc)));
}

ToolResult run_guidance_list(const ToolContext& c, const json_t*) { return list_kind(c, "guidance", "guidance"); }
ToolResult run_recipe_list(const ToolContext& c, const json_t*) { return list_kind(c, "recipe", "recipes"); }
ToolResult run_guidance_get(const ToolContext& c, const json_t* a) { return get_kind(c, a, "guidance"); }
ToolResult run_recipe_get(const ToolContext& c, const json_t* a) { return get_kind(c, a, "recipe"); }
ToolResult run_guidance_put(const ToolContext& c, const json_t* a) { return put_kind(c, a, "guidance"); }
ToolResult run_recipe_put(const ToolContext& c, const json_t* a) { return put_kind(c, a, "recipe"); }

const char kSummary[] =
    R"({"type":"object","required":["name","title","version","status","author"],"properties":{"name":{"type":"string"},"title":{"type":"string"},)"
    R"("version":{"type":"integer"},"status":{"type":"string","enum":["draft","published","rejected"]},"author":{"type":"string"},"created":{"type":"string"},)"
    R"("body":{"type":"string"},"note":{"type":"string"},"decided_by":{"type":"string"},)"
    R"("reason":{"type":"string","description":"why an admin rejected it: asked for by version, a rejected draft is visible to its author"}}})";
const char kName[] = R"("name":{"type":"string","pattern":"^[a-z0-9][a-z0-9_-]{0,63}$"})";

}  // namespace

void add_document_tools(std::vector<ToolDef>& out) {
    static std::string list_out[2], one_out[2];
    static const std::string get_in = std::string(R"({"type":"object","additionalProperties":false,"required":["name"],"properties":{)") + kName +
                                      R"(,"version":{"type":"integer","minimum":1,"maximum":1000000}}})";
    static const std::string put_in = std::string(R"({"type":"object","additionalProperties":false,"required":["name","title","body"],"properties":{)") + kName +
                                      R"(,"title":{"type":"string","minLength":1,"maxLength":200},"body":{"type":"string","minLength":1,"maxLength":200000,"description":"Markdown"}}})";
    const char* kinds[2] = {"guidance", "recipe"};
    const char* lists[2] = {"guidance", "recipes"};
    for (int i = 0; i < 2; ++i) {
        list_out[i] = std::string(R"({"type":"object","required":[")") + lists[i] + R"("],"properties":{")" + lists[i] +
                      R"(":{"type":"array","items":)" + kSummary + "}}}";
        one_out[i] = std::string(R"({"type":"object","required":[")") + kinds[i] + R"("],"properties":{")" + kinds[i] + R"(":)" + kSummary + "}}";
    }
    out.push_back({"guidance_list", "List guidance",
                   "Advisory playbooks (latest published versions), plus your own drafts (admins see every draft).",
                   R"({"type":"object","additionalProperties":false,"properties":{}})", list_out[0].c_str(), true, false, true,
                   run_guidance_list});
    out.push_back({"guidance_get", "Get guidance", "One guidance document's body, latest published version by default.",
                   get_in.c_str(), one_out[0].c_str(), true, false, true, run_guidance_get});
    out.push_back({"guidance_put", "Contribute guidance",
                   "Submits guidance as a draft (a new version when the name exists). It stays a draft, visible to you and "
                   "admins, until an admin publishes or rejects it. Published versions never change.",
                   put_in.c_str(), one_out[0].c_str(), false, false, false, run_guidance_put});
    out.push_back({"recipe_list", "List recipes", "Runbooks (latest published versions), plus your own drafts.",
                   R"({"type":"object","additionalProperties":false,"properties":{}})", list_out[1].c_str(), true, false, true,
                   run_recipe_list});
    out.push_back({"recipe_get", "Get a recipe", "One recipe's body, latest published version by default.", get_in.c_str(),
                   one_out[1].c_str(), true, false, true, run_recipe_get});
    out.push_back({"recipe_put", "Contribute a recipe",
                   "Submits a recipe as a draft until an admin approves it (a new version when the name exists).",
                   put_in.c_str(), one_out[1].c_str(), false, false, false, run_recipe_put});
}

}  // namespace asg
