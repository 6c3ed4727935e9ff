// The gateway's catalog, one implementation for asgard provider/model and the dashboard's Models
// page: add or replace a provider (its key sealed under the master key; only a fingerprint is ever
// shown), rotate its key, remove it; add or replace a model, remove it. Each writes its audit row
// (provider.add, provider.key, provider.remove, model.add, model.remove) with the actor given; the
// key never appears in one. Refusals throw RequestRefused: invalid, not_found, invalid_state (a
// provider that models still use). The gateway reads the catalog anew within a second.
#pragma once
#include <string>

#include "provisioning/request_flow.hpp"
#include "store/catalog_store.hpp"
#include "store/pg_connection.hpp"

namespace asg {

// p.host "" for the upstream's name; p.path "" for the API's default (/v1/chat/completions for
// openai, /v1 for anthropic). `key` is the provider's API key: one line, at most 4,096 bytes.
ProviderRow add_provider(PgConnection& db, ProviderRow p, const std::string& key, const std::string& actor);
ProviderRow rotate_provider_key(PgConnection& db, const std::string& name, const std::string& key, const std::string& actor);
void remove_provider(PgConnection& db, const std::string& name, const std::string& actor);

// Prices are USD per million tokens as decimal text with at most six decimals ("1.25").
ModelRow add_model(PgConnection& db, const ModelRow& m, const std::string& actor);
void remove_model(PgConnection& db, const std::string& alias, const std::string& actor);

// "sha256:" and the first 12 hex digits of the key's SHA-256: enough to tell keys apart, nothing to use.
std::string key_fingerprint(const std::string& key);

}  // namespace asg
