// Credentials and cost: gateway_credential (mint or rotate the project key), get_secret (audited
// read), get_cost (month-to-date spend by service and by model, with the budget).
#include "store/cost_store.hpp"
#include "store/secret_store.hpp"
#include "store/user_store.hpp"
#include "util/money.hpp"
#include "tools/tool_registry.hpp"
#include "tools/tool_support.hpp"

namespace asg {

static ToolResult run_gateway_credential(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "gateway_credential";
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, tool, denial);
    if (!access) return denial;
    if (auto refused = refuse_key_minting(db, ctx, tool, access->project.id)) return std::move(*refused);
    std::string data_class = arg_string(args, "default_data_class").value_or("");  // the schema allows only data classes
    MintedToken key = pg_transaction(db, [&] {
        db.exec("UPDATE projects SET gateway_enabled = true, updated_at = now() WHERE id = $1", {access->project.id});
        MintedToken minted = rotate_project_key(db, access->project.id, false, data_class);
        audit_tool(db, ctx, tool, access->project.id, "ok",
                   json_to_string(json_own(json_pack("{s:I,s:s?}", "key_id", (json_int_t)minted.id, "default_data_class",
                                                     data_class.empty() ? nullptr : data_class.c_str())).get()));
        return minted;
    });
    Json out = json_own(json_pack(
        "{s:s,s:s,s:I,s:s,s:s,s:s}", "project_id", access->project.id.c_str(), "key", key.plaintext.c_str(), "key_id",
        (json_int_t)key.id, "prefix", key.plaintext.substr(0, 12).c_str(), "endpoint", "POST /api/gateway/chat",
        "note", "Shown once: store it as the project's LLM key. Any earlier key of this project is revoked."));
    if (!data_class.empty()) json_object_set_new(out.get(), "default_data_class", json_string(data_class.c_str()));
    return tool_ok(std::move(out));
}

static ToolResult run_get_secret(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    const std::string tool = "get_secret";
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, tool, denial);
    if (!access) return denial;
    std::string name = *arg_string(args, "name");
    std::string detail = json_to_string(json_own(json_pack("{s:s}", "name", name.c_str())).get());
    // The audit row commits with the read, before the value leaves: no audit, no value.
    std::optional<std::string> value = pg_transaction(db, [&] {
        std::optional<std::string> v = read_secret(db, access->project.id, name);
        audit_tool(db, ctx, tool, access->project.id, v ? "ok" : "not_found", detail);
        return v;
    });
    if (!value) {
        std::string names;
        for (const auto& n : secret_names(db, access->project.id)) names += (names.empty() ? "" : ", ") + n;
        return tool_error("not_found", "project " + access->project.id + " has no secret " + name +
                                           (names.empty() ? " (it has none yet: request_resource provisions them)"
                                                          : " (it has: " + names + ")"));
    }
    return tool_ok(json_own(json_pack("{s:s,s:s,s:s%}", "project_id", access->project.id.c_str(), "name", name.c_str(),
                                      "value", value->data(), value->size())));
}

static json_t* cost_lines(const std::vector<CostLine>& lines, bool models) {
    json_t* list = json_array();
    for (const auto& l : lines) {
        std::string usd = format_usd(l.micro_usd);
        json_t* item = models ? json_pack("{s:s,s:s,s:I,s:I,s:I}", "model", l.key.c_str(), "usd", usd.c_str(), "requests",
                                          (json_int_t)l.requests, "input_tokens", (json_int_t)l.input_tokens,
                                          "output_tokens", (json_int_t)l.output_tokens)
                              : json_pack("{s:s,s:s,s:s}", "service", l.key.c_str(), "resource_id", l.resource.c_str(),
                                          "usd", usd.c_str());
        json_array_append_new(list, item);
    }
    return list;
}

static json_t* cost_days(const std::vector<CostDay>& days) {
    json_t* list = json_array();
    for (const auto& d : days)
        json_array_append_new(list, json_pack("{s:s,s:s,s:I}", "day", d.day.c_str(), "usd", format_usd(d.micro_usd).c_str(),
                                              "requests", (json_int_t)d.requests));
    return list;
}

static ToolResult run_get_cost(const ToolContext& ctx, const json_t* args) {
    PgConnection& db = thread_pg();
    ToolResult denial;
    auto access = resolve_project(db, ctx, args, "get_cost", denial);
    if (!access) return denial;
    std::string window = arg_string(args, "window").value_or("month");
    CostReport report = project_cost(db, access->project.id, window);
    // Money is decimal text (six places, exact): never a binary float.
    Json out = json_own(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "project_id", access->project.id.c_str(), "window",
                                  window.c_str(), "from", report.from.c_str(), "to", report.to.c_str(), "currency", "USD",
                                  "total_usd", format_usd(report.total_micro_usd).c_str(), "by_service",
                                  cost_lines(report.by_service, false), "by_model", cost_lines(report.by_model, true), "by_day",
                                  cost_days(report.by_day)));
    // Present only with a budget: a nullable member would need a type list, which single-type
    // schema dialects (Gemini's, for one) refuse and the MCP Inspector warns about.
    if (report.budget_micro_usd) {
        json_object_set_new(out.get(), "budget_usd", json_string(format_usd(*report.budget_micro_usd).c_str()));
        json_object_set_new(out.get(), "remaining_usd",
                            json_string(format_usd(*report.budget_micro_usd - report.total_micro_usd).c_str()));
    }
    return tool_ok(std::move(out));
}

static const char kProjectId[] =
    R"("project_id":{"type":"string","pattern":"^proj-[0-9]{4}-[0-9]{4,}$","maxLength":40,"description":"Required with a user token; omit with a project key."})";

void add_credential_tools(std::vector<ToolDef>& out) {
    static const std::string credential_input =
        std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kProjectId +
        R"(,"default_data_class":{"type":"string","enum":["public","internal","confidential","restricted"],)"
        R"("description":"The data class of the key's gateway calls that name none (in the body or the X-Asgard-Data-Class header), for clients that can set neither."}}})";
    static const std::string secret_input = std::string(R"({"type":"object","additionalProperties":false,"required":["name"],"properties":{)") + kProjectId +
                                            R"(,"name":{"type":"string","pattern":"^[A-Z][A-Z0-9_]{0,62}$","description":"e.g. DATABASE_URL"}}})";
    static const std::string cost_input = std::string(R"({"type":"object","additionalProperties":false,"properties":{)") + kProjectId +
                                          R"(,"window":{"type":"string","enum":["month","day"],"description":"month to date (default) or today, UTC"}}})";
    out.push_back({"gateway_credential", "Mint the project's LLM key",
                   "Mints the project's key (asg_...) for the governed gateway, or rotates it (the old key is revoked). "
                   "Shown once. Needs a user token: a project key cannot mint or rotate keys. Use it out-of-band: POST /api/gateway/chat with Authorization: Bearer <key>. The project "
                   "must be registered.",
                   credential_input.c_str(),
                   R"({"type":"object","required":["project_id","key","key_id","prefix"],"properties":{"project_id":{"type":"string"},"key":{"type":"string"},)"
                   R"("key_id":{"type":"integer"},"prefix":{"type":"string"},"endpoint":{"type":"string"},"note":{"type":"string"},"default_data_class":{"type":"string"}}})",
                   false, false, false, run_gateway_credential});
    out.push_back({"get_secret", "Read a project secret",
                   "Returns a provisioned secret's value. Every read is audited (who, when, which secret) and the value "
                   "is never logged. With a user token pass project_id; with a project key omit it.",
                   secret_input.c_str(),
                   R"({"type":"object","required":["project_id","name","value"],"properties":{"project_id":{"type":"string"},"name":{"type":"string"},"value":{"type":"string"}}})",
                   true, false, true, run_get_secret});
    out.push_back({"get_cost", "Read a project's cost",
                   "Spend in the window by service (provisioned resources, pro rata of their monthly price), by model "
                   "and by day (gateway calls), with the monthly budget and what remains (both absent when there is no "
                   "budget). Amounts are USD as exact "
                   "decimal text with six places (\"0.000093\").",
                   cost_input.c_str(),
                   R"({"type":"object","required":["project_id","window","currency","total_usd","by_service","by_model","by_day"],"properties":{)"
                   R"("project_id":{"type":"string"},"window":{"type":"string"},"from":{"type":"string"},"to":{"type":"string"},"currency":{"type":"string"},)"
                   R"("total_usd":{"type":"string","pattern":"^-?[0-9]+\\.[0-9]{6}$","description":"USD as exact decimal text, six places"},)"
                   R"("by_service":{"type":"array"},"by_model":{"type":"array"},"by_day":{"type":"array","description":"gateway spend per UTC day with calls"},)"
                   R"("budget_usd":{"type":"string","description":"the monthly budget; absent when the project has none"},)"
                   R"("remaining_usd":{"type":"string","description":"budget_usd minus total_usd; absent without a budget"}}})",
                   true, false, true, run_get_cost});
}

}  // namespace asg
