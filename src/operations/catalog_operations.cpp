// The catalog's rules around catalog_store's writes, and their audit rows.
#include "operations/catalog_operations.hpp"

#include "config/runtime_config.hpp"
#include "store/audit_log.hpp"
#include "util/aead.hpp"
#include "util/crypto.hpp"
#include "util/json_ptr.hpp"
#include "util/money.hpp"

namespace asg {

namespace {

void audit(PgConnection& db, const std::string& actor, const char* action, json_t* detail) {
    audit_append(db, {actor, std::nullopt, action, std::nullopt, "ok", json_to_string(json_own(detail).get())});
}

void check_key(const std::string& key) {
    if (key.empty()) throw RequestRefused("invalid", "the provider's API key is required");
    if (key.size() > 4096) throw RequestRefused("invalid", "the provider's API key is at most 4,096 bytes");
    for (char c : key)
        if (c == '\n' || c == '\r' || c == '\0') throw RequestRefused("invalid", "the provider's API key is one line");
}

Sealed seal(const std::string& name, const std::string& key) {
    return aead_seal(runtime_config()->secrets_key, key, "provider/" + name);
}

}  // namespace

std::string key_fingerprint(const std::string& key) {
    Digest d = sha256(key);
    return "sha256:" + to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())).substr(0, 12);
}

ProviderRow add_provider(PgConnection& db, ProviderRow p, const std::string& key, const std::string& actor) {
    if (p.api != "openai" && p.api != "anthropic") throw RequestRefused("invalid", "api is openai or anthropic");
    check_key(key);
    if (p.host.empty()) p.host = p.upstream;
    if (p.path.empty()) p.path = p.api == "anthropic" ? "/v1" : "/v1/chat/completions";
    p.key_fingerprint = key_fingerprint(key);
    Sealed sealed = seal(p.name, key);
    return pg_transaction(db, [&] {
        try {
            put_provider(db, p, sealed.nonce, sealed.ciphertext);
        } catch (const PgError& e) {
            if (e.sqlstate == "23514")
                throw RequestRefused("invalid", "invalid provider: name is lower-case letters, digits, '_' and '-'; upstream an nginx "
                                                "upstream name; path starts with /");
            throw;
        }
        audit(db, actor, "provider.add", json_pack("{s:s,s:s,s:s,s:s}", "name", p.name.c_str(), "upstream", p.upstream.c_str(), "api",
                                                   p.api.c_str(), "key_fingerprint", p.key_fingerprint.c_str()));
        for (ProviderRow& row : list_providers(db))
            if (row.name == p.name) return row;
        throw std::runtime_error("the provider just written could not be read back");
    });
}

ProviderRow rotate_provider_key(PgConnection& db, const std::string& name, const std::string& key, const std::string& actor) {
    check_key(key);
    std::string fingerprint = key_fingerprint(key);
    Sealed sealed = seal(name, key);
    return pg_transaction(db, [&] {
        if (!put_provider_key(db, name, sealed.nonce, sealed.ciphertext, fingerprint))
            throw RequestRefused("not_found", "no provider " + name);
        audit(db, actor, "provider.key", json_pack("{s:s,s:s}", "name", name.c_str(), "key_fingerprint", fingerprint.c_str()));
        for (ProviderRow& row : list_providers(db))
            if (row.name == name) return row;
        throw std::runtime_error("the provider just written could not be read back");
    });
}

void remove_provider(PgConnection& db, const std::string& name, const std::string& actor) {
    pg_transaction(db, [&] {
        std::string used = models_of_provider(db, name);
        if (!used.empty()) throw RequestRefused("invalid_state", "models still use provider " + name + ": " + used);
        if (!delete_provider(db, name)) throw RequestRefused("not_found", "no provider " + name);
        audit(db, actor, "provider.remove", json_pack("{s:s}", "name", name.c_str()));
        return 0;
    });
}

ModelRow add_model(PgConnection& db, const ModelRow& m, const std::string& actor) {
    for (const std::string* price : {&m.price_in, &m.price_out})
        if (!parse_usd(*price))
            throw RequestRefused("invalid", "prices are USD per million tokens: a non-negative decimal with at most six decimals, e.g. 1.25 (got \"" +
                                                *price + "\")");
    if (m.data_classes.empty()) throw RequestRefused("invalid", "a model allows at least one data class (public, internal, confidential, restricted)");
    for (const auto& c : m.data_classes)
        if (c != "public" && c != "internal" && c != "confidential" && c != "restricted")
            throw RequestRefused("invalid", "unknown data class '" + c + "' (public, internal, confidential, restricted)");
    if (m.max_output_tokens < 1 || m.max_output_tokens > 10000000)
        throw RequestRefused("invalid", "max_output_tokens is a whole number from 1 to 10,000,000");
    if (m.upstream_model.empty() || m.upstream_model.size() > 200) throw RequestRefused("invalid", "the provider's model name is 1 to 200 characters");
    return pg_transaction(db, [&] {
        try {
            put_model(db, m);
        } catch (const PgError& e) {
            if (e.sqlstate == "23503") throw RequestRefused("invalid", "no provider " + m.provider + " (add it first)");
            if (e.sqlstate == "23514") throw RequestRefused("invalid", "invalid model: the alias is letters, digits and :/._- (at most 128)");
            throw;
        }
        audit(db, actor, "model.add", json_pack("{s:s,s:s,s:s,s:s,s:s}", "alias", m.alias.c_str(), "provider", m.provider.c_str(),
                                                "upstream_model", m.upstream_model.c_str(), "price_in", m.price_in.c_str(), "price_out",
                                                m.price_out.c_str()));
        for (ModelRow& row : list_models(db))
            if (row.alias == m.alias) return row;
        throw std::runtime_error("the model just written could not be read back");
    });
}

void remove_model(PgConnection& db, const std::string& alias, const std::string& actor) {
    pg_transaction(db, [&] {
        if (!delete_model(db, alias)) throw RequestRefused("not_found", "no model " + alias);
        audit(db, actor, "model.remove", json_pack("{s:s}", "alias", alias.c_str()));
        return 0;
    });
}

}  // namespace asg
