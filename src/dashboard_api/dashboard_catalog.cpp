// The admin's Models page in the dashboard API (route_admin has checked the session is an admin's):
//   GET  /admin/catalog                                providers (a key's fingerprint, never the key) and models
//   POST /admin/providers   {name, api, upstream, tls, host, path, key}   add or replace (the key is write-only)
//   POST /admin/providers/NAME/key     {key}                 rotate the key
//   POST /admin/providers/NAME/remove                        refused while a model uses it
//   POST /admin/models      {alias, provider, upstream_model, price_in, price_out, data_classes, max_output_tokens}
//   POST /admin/models/remove          {alias}               (aliases hold '/', so the alias rides in the body)
// Every change is operations/catalog_operations (the CLI's), audited with the admin as actor.
#include <string_view>

#include "dashboard_api/dashboard_routes.hpp"
#include "operations/catalog_operations.hpp"
#include "util/json_ptr.hpp"

namespace asg {

namespace {

std::string text(const json_t* body, const char* name) {
    const json_t* v = body ? json_object_get(body, name) : nullptr;
    return json_is_string(v) ? std::string(json_string_value(v), json_string_length(v)) : std::string();
}

json_t* provider_json(const ProviderRow& p) {
    json_t* o = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "name", p.name.c_str(), "api", p.api.c_str(), "upstream", p.upstream.c_str(),
                          "tls", p.tls, "host", p.host.c_str(), "path", p.path.c_str(), "created", p.created.c_str());
    json_object_set_new(o, "key_fingerprint", p.key_fingerprint.empty() ? json_null() : json_string(p.key_fingerprint.c_str()));
    return o;
}

json_t* model_json(const ModelRow& m) {
    json_t* classes = json_array();
    for (const auto& c : m.data_classes) json_array_append_new(classes, json_string(c.c_str()));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i}", "alias", m.alias.c_str(), "provider", m.provider.c_str(), "upstream_model",
                     m.upstream_model.c_str(), "price_in", m.price_in.c_str(), "price_out", m.price_out.c_str(), "data_classes", classes,
                     "max_output_tokens", m.max_output_tokens);
}

}  // namespace

bool route_catalog(std::string_view path, const DashboardRequest& req, const SessionUser& me, const json_t* body, DashboardResponse& out) {
    bool post = req.method == "POST";
    std::string actor = "user:" + me.name;
    PgConnection& db = thread_pg();
    if (path == "catalog") {
        if (post) return dashboard_error(out, 405, "method_not_allowed", "use GET"), true;
        json_t* providers = json_array();
        for (const auto& p : list_providers(db)) json_array_append_new(providers, provider_json(p));
        json_t* models = json_array();
        for (const auto& m : list_models(db)) json_array_append_new(models, model_json(m));
        dashboard_ok(out, 200, json_pack("{s:o,s:o}", "providers", providers, "models", models));
        return true;
    }
    constexpr std::string_view kProviders = "providers", kModels = "models";
    bool providers = path.substr(0, kProviders.size()) == kProviders && (path.size() == kProviders.size() || path[kProviders.size()] == '/');
    bool models = path.substr(0, kModels.size()) == kModels && (path.size() == kModels.size() || path[kModels.size()] == '/');
    if (!providers && !models) return false;
    if (!post) return dashboard_error(out, 405, "method_not_allowed", "use POST (GET /admin/catalog lists both)"), true;
    if (path == kProviders) {
        const json_t* tls = body ? json_object_get(body, "tls") : nullptr;
        if (tls && !json_is_boolean(tls)) return dashboard_error(out, 400, "invalid", "tls is true or false"), true;
        ProviderRow p;
        p.name = text(body, "name");
        p.api = text(body, "api").empty() ? "openai" : text(body, "api");
        p.upstream = text(body, "upstream");
        p.host = text(body, "host");
        p.path = text(body, "path");
        p.tls = json_is_true(tls);
        dashboard_ok(out, 200, json_pack("{s:o}", "provider", provider_json(add_provider(db, p, text(body, "key"), actor))));
        return true;
    }
    if (providers) {
        std::string_view rest = path.substr(kProviders.size() + 1);
        std::size_t slash = rest.find('/');
        std::string name(rest.substr(0, slash));
        std::string_view action = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (action == "key") {
            dashboard_ok(out, 200, json_pack("{s:o}", "provider", provider_json(rotate_provider_key(db, name, text(body, "key"), actor))));
            return true;
        }
        if (action == "remove") {
            remove_provider(db, name, actor);
            dashboard_ok(out, 200, json_pack("{s:s,s:b}", "name", name.c_str(), "removed", 1));
            return true;
        }
        return false;
    }
    if (path == kModels) {
        ModelRow m;
        m.alias = text(body, "alias");
        m.provider = text(body, "provider");
        m.upstream_model = text(body, "upstream_model");
        m.price_in = text(body, "price_in");
        m.price_out = text(body, "price_out");
        const json_t* classes = body ? json_object_get(body, "data_classes") : nullptr;
        const json_t* max_out = body ? json_object_get(body, "max_output_tokens") : nullptr;
        if (!json_is_array(classes) || (max_out && !json_is_integer(max_out)))
            return dashboard_error(out, 400, "invalid", "data_classes is a list of data classes; max_output_tokens a whole number"), true;
        std::size_t i;
        const json_t* c;
        json_array_foreach(classes, i, c) {
            if (!json_is_string(c)) return dashboard_error(out, 400, "invalid", "data_classes holds names such as \"internal\""), true;
            m.data_classes.emplace_back(json_string_value(c));
        }
        json_int_t cap = max_out ? json_integer_value(max_out) : 4096;
        m.max_output_tokens = cap < 1 || cap > 10000000 ? 0 : static_cast<int>(cap);
        dashboard_ok(out, 200, json_pack("{s:o}", "model", model_json(add_model(db, m, actor))));
        return true;
    }
    if (path == "models/remove") {
        std::string alias = text(body, "alias");
        remove_model(db, alias, actor);
        dashboard_ok(out, 200, json_pack("{s:s,s:b}", "alias", alias.c_str(), "removed", 1));
        return true;
    }
    return false;
}

}  // namespace asg
