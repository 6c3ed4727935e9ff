// The gateway's catalog in PostgreSQL: providers (a sealed key, shown only as a fingerprint) and
// models (alias, provider, prices as decimal text, data classes, output cap).
#pragma once
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct ProviderRow {
    std::string name, api, upstream, host, path, key_fingerprint, created;  // fingerprint "" when unknown
    bool tls = false;
};
struct ModelRow {
    std::string alias, provider, upstream_model, price_in, price_out;  // prices: USD per million tokens, decimal text
    std::vector<std::string> data_classes;
    int max_output_tokens = 0;
};

std::vector<ProviderRow> list_providers(PgConnection& db);
std::vector<ModelRow> list_models(PgConnection& db);

// Inserts or replaces a provider with its sealed key. Throws PgError (23514 for a bad field).
void put_provider(PgConnection& db, const ProviderRow& p, const std::string& nonce, const std::string& ciphertext);
// Replaces a provider's key: false when there is no such provider.
bool put_provider_key(PgConnection& db, const std::string& name, const std::string& nonce, const std::string& ciphertext,
                      const std::string& fingerprint);
// The aliases that use a provider, comma-separated ("" for none).
std::string models_of_provider(PgConnection& db, const std::string& name);
bool delete_provider(PgConnection& db, const std::string& name);

// Inserts or replaces a model. Throws PgError (23503 no such provider, 23514 a bad field).
void put_model(PgConnection& db, const ModelRow& m);
bool delete_model(PgConnection& db, const std::string& alias);

}  // namespace asg
