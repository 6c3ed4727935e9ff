// MCP resources, read-only, for every authenticated caller: the standards (latest, and any version),
// the published guidance and recipes, and the seed library's files, at asgard:// URIs
// (resources/list, resources/templates/list, resources/read). Codex and other clients list them on
// connect; an agent reads a standard as a resource or through get_standards alike.
#include <exception>
#include <vector>

#include "mcp/dispatcher.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/modern_protocol.hpp"
#include "store/document_store.hpp"
#include "mcp/resource_notifications.hpp"
#include "store/pg_connection.hpp"
#include "store/resource_feed.hpp"
#include "store/seed_store.hpp"
#include "store/standards_store.hpp"
#include "util/crypto.hpp"

namespace asg {

namespace {

constexpr std::size_t kResourcePage = 100;
constexpr std::string_view kScheme = "asgard://";

json_t* listing(const std::string& uri, const std::string& name, const std::string& title, const std::string& description) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "uri", uri.c_str(), "name", name.c_str(), "title", title.c_str(), "description",
                     description.c_str(), "mimeType", "text/markdown");
}

// Every resource, in a stable order: standards, guidance, recipes, seed files.
std::vector<Json> all_resources(const asg_principal_t& who) {
    PgConnection& db = thread_pg();
    std::vector<Json> out;
    for (const StandardRow& s : list_latest_standards(db))
        out.push_back(json_own(listing("asgard://standards/" + s.name, "standard " + s.name, s.title,
                                       "Normative standard, version " + std::to_string(s.version) + " (read-only; edited by an admin)")));
    for (const char* kind : {"guidance", "recipe"}) {
        for (const DocumentRow& d : list_documents(db, kind, who.user_id, who.is_admin != 0)) {
            if (d.status != "published") continue;
            std::string plural = std::string(kind) == "recipe" ? "recipes" : "guidance";
            out.push_back(json_own(listing("asgard://" + plural + "/" + d.name, std::string(kind) + " " + d.name, d.title,
                                           "Advisory " + std::string(kind) + ", version " + std::to_string(d.version))));
        }
    }
    for (const SeedFile& f : load_seed_library(db, false))
        out.push_back(json_own(listing("asgard://seed/" + f.id, "seed " + f.id, f.title,
                                       "Seed library file (" + f.kind + "), written to " + f.target + ": " + f.why)));
    return out;
}

bool decode_cursor(const json_t* params, std::size_t& offset) {
    offset = 0;
    const json_t* cursor = params ? json_object_get(params, "cursor") : nullptr;
    if (cursor == nullptr || json_is_null(cursor)) return true;
    std::string text;
    if (!json_is_string(cursor) || !base64url_decode(json_string_value(cursor), text) || text.rfind("resources:", 0) != 0 ||
        text.size() > 24)
        return false;
    std::string digits = text.substr(10);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
    offset = std::stoul(digits);
    return true;
}

// A URI's parts: asgard://KIND/NAME or asgard://KIND/NAME/versions/N (seed ids hold one '/').
struct ResourceUri {
    std::string kind, name;
    std::optional<int> version;
};
std::optional<ResourceUri> parse_uri(std::string_view uri) {
    if (uri.substr(0, kScheme.size()) != kScheme) return std::nullopt;
    uri.remove_prefix(kScheme.size());
    std::size_t slash = uri.find('/');
    if (slash == std::string_view::npos || slash + 1 >= uri.size()) return std::nullopt;
    ResourceUri out{std::string(uri.substr(0, slash)), std::string(uri.substr(slash + 1)), std::nullopt};
    if (out.kind == "seed") return out;
    constexpr std::string_view kVersions = "/versions/";
    std::size_t at = out.name.find(kVersions);
    if (at != std::string::npos) {
        std::string digits = out.name.substr(at + kVersions.size());
        if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        out.version = std::stoi(digits);
        out.name.resize(at);
    }
    if (out.name.empty() || out.name.find('/') != std::string::npos) return std::nullopt;
    return out;
}

Json read_contents(const asg_principal_t& who, std::string_view uri, std::string& title) {
    auto parsed = parse_uri(uri);
    if (!parsed) return nullptr;
    PgConnection& db = thread_pg();
    std::string body;
    if (parsed->kind == "standards") {
        auto rows = get_standards(db, parsed->name, parsed->version);
        if (rows.empty()) return nullptr;
        body = rows[0].body;
        title = rows[0].title;
    } else if (parsed->kind == "guidance" || parsed->kind == "recipes") {
        auto d = get_document(db, parsed->kind == "recipes" ? "recipe" : "guidance", parsed->name, parsed->version, who.user_id,
                              who.is_admin != 0);
        if (!d) return nullptr;
        body = d->body;
        title = d->title;
    } else if (parsed->kind == "seed") {
        auto f = find_seed_file(db, parsed->name);
        if (!f) return nullptr;
        body = f->body;
        title = f->title;
    } else {
        return nullptr;
    }
    return json_own(json_pack("{s:[{s:s%,s:s,s:s%}]}", "contents", "uri", uri.data(), uri.size(), "mimeType", "text/markdown", "text",
                              body.data(), body.size()));
}

// PostgreSQL's failures as tools/call reports them.
Json store_failure(DispatchContext& ctx, const json_t* id, const char* method, const PgError& e) {
    ctx.log_line = std::string("asgard: ") + method + ": PostgreSQL: " + e.what();
    if (pg_unavailable(e)) {
        ctx.unavailable = true;
        return jsonrpc_error(id, kServerError, "Service Unavailable: Asgard's database cannot be reached or did not answer in time; try again shortly");
    }
    return jsonrpc_error(id, kInternalError, "Asgard's database is unavailable; try again shortly");
}

}  // namespace

Json resources_list(DispatchContext& ctx, const json_t* id, const json_t* params) {
    std::size_t offset = 0;
    if (!decode_cursor(params, offset)) return jsonrpc_error(id, kInvalidParams, "invalid cursor");
    if (!ctx.allow_io) {
        ctx.needs_io = true;
        return nullptr;
    }
    try {
        std::vector<Json> all = all_resources(ctx.principal);
        if (offset > all.size()) return jsonrpc_error(id, kInvalidParams, "invalid cursor");
        Json list = json_own(json_array());
        std::size_t end = std::min(all.size(), offset + kResourcePage);
        for (std::size_t i = offset; i < end; ++i) json_array_append(list.get(), all[i].get());
        Json result = json_own(json_pack("{s:O}", "resources", list.get()));
        if (end < all.size())
            json_object_set_new(result.get(), "nextCursor", json_string(base64url_encode("resources:" + std::to_string(end)).c_str()));
        return jsonrpc_result(id, std::move(result));
    } catch (const PgError& e) {
        return store_failure(ctx, id, "resources/list", e);
    }
}

Json resource_templates_list(const json_t* id) {
    Json templates = json_own(json_array());
    for (const char* kind : {"standards", "guidance", "recipes"}) {
        std::string uri = std::string("asgard://") + kind + "/{name}/versions/{version}";
        json_array_append_new(templates.get(),
                              json_pack("{s:s,s:s,s:s,s:s}", "uriTemplate", uri.c_str(), "name", (std::string(kind) + "-version").c_str(),
                                        "description", (std::string("One version of a ") + kind + " document (versions are append-only)").c_str(),
                                        "mimeType", "text/markdown"));
    }
    return jsonrpc_result(id, json_own(json_pack("{s:O}", "resourceTemplates", templates.get())));
}

Json resources_read(DispatchContext& ctx, const json_t* id, const json_t* params) {
    const json_t* uri = params ? json_object_get(params, "uri") : nullptr;
    if (!json_is_string(uri)) return jsonrpc_error(id, kInvalidParams, "params.uri must be a string (asgard://...)");
    if (!ctx.allow_io) {
        ctx.needs_io = true;
        return nullptr;
    }
    try {
        std::string title;
        std::string_view text(json_string_value(uri), json_string_length(uri));
        Json contents = read_contents(ctx.principal, text, title);
        if (!contents) {
            // 2026-07-28 uses Invalid Params for an unknown resource; the 2025 revisions -32002.
            Json error = jsonrpc_error(id, ctx.modern ? kInvalidParams : -32002, "Resource not found: " + std::string(text));
            json_object_set_new(json_object_get(error.get(), "error"), "data", json_pack("{s:s%}", "uri", text.data(), text.size()));
            return error;
        }
        return jsonrpc_result(id, std::move(contents));
    } catch (const PgError& e) {
        return store_failure(ctx, id, "resources/read", e);
    }
}

Json resources_subscription(DispatchContext& ctx, const json_t* id, const json_t* params, bool subscribe) {
    const char* method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
    if (ctx.session_until_ms == 0)
        return jsonrpc_error(id, kMethodNotFound, std::string("Method not found: ") + method +
                                                      " needs a Streamable HTTP session (updates are sent on its GET /mcp stream)");
    const json_t* uri = params ? json_object_get(params, "uri") : nullptr;
    if (!json_is_string(uri)) return jsonrpc_error(id, kInvalidParams, "params.uri must be a string (asgard://...)");
    std::string text(json_string_value(uri), json_string_length(uri));
    if (!resource_can_change(text))
        return jsonrpc_error(id, kInvalidParams,
                             "Invalid params: " + std::string(method) + " takes the URI of a standard, a guidance or a recipe "
                             "(asgard://standards/NAME, asgard://guidance/NAME, asgard://recipes/NAME); versions and seed files never change");
    if (!ctx.allow_io) {
        ctx.needs_io = true;
        return nullptr;
    }
    try {
        if (subscribe)
            subscribe_resource(thread_pg(), ctx.session_key, text, ctx.session_until_ms);
        else
            unsubscribe_resource(thread_pg(), ctx.session_key, text);
        return jsonrpc_result(id, json_own(json_object()));
    } catch (const PgError& e) {
        return store_failure(ctx, id, method, e);
    }
}

}  // namespace asg
