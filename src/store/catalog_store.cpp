// The catalog's SQL (providers, models).
#include "store/catalog_store.hpp"

namespace asg {

std::vector<ProviderRow> list_providers(PgConnection& db) {
    auto r = db.exec("SELECT name, api, upstream, host, path, coalesce(key_fingerprint, ''),"
                     " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), tls FROM providers ORDER BY name");
    std::vector<ProviderRow> out;
    for (int i = 0; i < r.rows(); ++i) {
        ProviderRow p{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5), r.text(i, 6)};
        p.tls = r.boolean(i, 7);
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<ModelRow> list_models(PgConnection& db) {
    // Prices as exact decimal text without trailing zeros ("1.25", "10", "0.00015").
    auto r = db.exec("SELECT alias, provider, upstream_model, trim_scale(price_in)::text, trim_scale(price_out)::text, array_to_string(data_classes, ','),"
                     " max_output_tokens FROM models ORDER BY alias");
    std::vector<ModelRow> out;
    for (int i = 0; i < r.rows(); ++i) {
        ModelRow m{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), {}, static_cast<int>(r.int64(i, 6))};
        std::string classes = r.text(i, 5);
        for (std::size_t start = 0; !classes.empty();) {
            std::size_t comma = classes.find(',', start);
            m.data_classes.push_back(classes.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        out.push_back(std::move(m));
    }
    return out;
}

void put_provider(PgConnection& db, const ProviderRow& p, const std::string& nonce, const std::string& ciphertext) {
    db.exec("INSERT INTO providers (name, upstream, tls, host, path, key_nonce, key_ciphertext, api, key_fingerprint)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO UPDATE SET upstream = EXCLUDED.upstream,"
            " tls = EXCLUDED.tls, host = EXCLUDED.host, path = EXCLUDED.path, key_nonce = EXCLUDED.key_nonce,"
            " key_ciphertext = EXCLUDED.key_ciphertext, api = EXCLUDED.api, key_fingerprint = EXCLUDED.key_fingerprint",
            {p.name, p.upstream, p.tls ? "true" : "false", p.host, p.path, pg_bytea(nonce), pg_bytea(ciphertext), p.api,
             p.key_fingerprint});
}

bool put_provider_key(PgConnection& db, const std::string& name, const std::string& nonce, const std::string& ciphertext,
                      const std::string& fingerprint) {
    return db.exec("UPDATE providers SET key_nonce = $2, key_ciphertext = $3, key_fingerprint = $4 WHERE name = $1",
                   {name, pg_bytea(nonce), pg_bytea(ciphertext), fingerprint}).command_tuples() == "1";
}

std::string models_of_provider(PgConnection& db, const std::string& name) {
    auto r = db.exec("SELECT coalesce(string_agg(alias, ', ' ORDER BY alias), '') FROM models WHERE provider = $1", {name});
    return r.text(0, 0);
}

bool delete_provider(PgConnection& db, const std::string& name) {
    return db.exec("DELETE FROM providers WHERE name = $1", {name}).command_tuples() == "1";
}

void put_model(PgConnection& db, const ModelRow& m) {
    std::string classes;
    for (const auto& c : m.data_classes) classes += (classes.empty() ? "" : ",") + c;
    db.exec("INSERT INTO models (alias, provider, upstream_model, price_in, price_out, data_classes, max_output_tokens)"
            " VALUES ($1, $2, $3, $4::numeric, $5::numeric, string_to_array($6, ','), $7::int)"
            " ON CONFLICT (alias) DO UPDATE SET provider = EXCLUDED.provider, upstream_model = EXCLUDED.upstream_model,"
            " price_in = EXCLUDED.price_in, price_out = EXCLUDED.price_out, data_classes = EXCLUDED.data_classes,"
            " max_output_tokens = EXCLUDED.max_output_tokens",
            {m.alias, m.provider, m.upstream_model, m.price_in, m.price_out, classes, std::to_string(m.max_output_tokens)});
}

bool delete_model(PgConnection& db, const std::string& alias) {
    return db.exec("DELETE FROM models WHERE alias = $1", {alias}).command_tuples() == "1";
}

}  // namespace asg
