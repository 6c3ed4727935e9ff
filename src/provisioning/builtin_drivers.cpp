// The built-in drivers: secret, postgres-database, redis-namespace and inference-gateway.
#include <cctype>
#include <iterator>
#include <vector>

#include "config/runtime_config.hpp"
#include "provisioning/drivers.hpp"
#include "store/redis_connection.hpp"
#include "store/secret_store.hpp"
#include "store/user_store.hpp"
#include "util/base62.hpp"

namespace asg {

namespace {

std::string param_or(const json_t* params, const char* key, const std::string& fallback) {
    std::string_view v = json_member_string(params, key);
    return v.empty() ? fallback : std::string(v);
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// proj-2026-0001 + main -> p2026_0001_main (lower-case, a valid PostgreSQL identifier).
std::string database_ident(const std::string& project_id, const std::string& name) {
    std::string id = "p" + project_id.substr(5);
    for (char& c : id) if (c == '-') c = '_';
    return id + "_" + name;
}

std::string quote_ident(PgConnection& db, const std::string& s) {
    char* q = PQescapeIdentifier(db.raw(), s.c_str(), s.size());
    if (q == nullptr) throw ProvisionError("cannot quote identifier");
    std::string out(q);
    PQfreemem(q);
    return out;
}

std::string quote_literal(PgConnection& db, const std::string& s) {
    char* q = PQescapeLiteral(db.raw(), s.c_str(), s.size());
    if (q == nullptr) throw ProvisionError("cannot quote literal");
    std::string out(q);
    PQfreemem(q);
    return out;
}

Provisioned provision_secret(PgConnection& db, const ResourceRow& request, const json_t* params) {
    std::string name(json_member_string(params, "name"));
    const json_t* length = json_object_get(params, "length");
    std::size_t n = json_is_integer(length) ? static_cast<std::size_t>(json_integer_value(length)) : 32;
    if (read_secret(db, request.project_id, name))
        throw ProvisionError("the project already has a secret named " + name);
    Provisioned out;
    out.secrets[name] = random_base62(n);
    out.outputs = json_own(json_pack("{s:s,s:i}", "secret", name.c_str(), "length", (int)n));
    return out;
}

void drop_database_objects(PgConnection& db, const std::string& ident) {
    db.exec("DROP DATABASE IF EXISTS " + quote_ident(db, ident) + " WITH (FORCE)");
    db.exec("DROP ROLE IF EXISTS " + quote_ident(db, ident));
}

Provisioned provision_postgres(PgConnection& db, const ResourceRow& request, const json_t* params) {
    std::string name = param_or(params, "name", "main");
    std::string ident = database_ident(request.project_id, name);
    auto taken = db.exec("SELECT (SELECT count(*) FROM pg_roles WHERE rolname = $1) +"
                         " (SELECT count(*) FROM pg_database WHERE datname = $1)", {ident});
    if (taken.int64(0, 0) > 0) throw ProvisionError("a database named " + ident + " already exists");
    std::string password = random_base62(32);
    try {
        // Only a SCRAM verifier reaches the server: the password never appears in statement
        // statistics or logs.
        char* verifier = PQencryptPasswordConn(db.raw(), password.c_str(), ident.c_str(), "scram-sha-256");
        if (verifier == nullptr) throw PgError("cannot hash the new role's password", "XX000");
        std::string hashed(verifier);
        PQfreemem(verifier);
        db.exec("CREATE ROLE " + quote_ident(db, ident) + " LOGIN PASSWORD " + quote_literal(db, hashed));
        db.exec("GRANT " + quote_ident(db, ident) + " TO CURRENT_USER");
        db.exec("CREATE DATABASE " + quote_ident(db, ident) + " OWNER " + quote_ident(db, ident));
        db.exec("REVOKE ALL ON DATABASE " + quote_ident(db, ident) + " FROM PUBLIC");
    } catch (const PgError& e) {
        try {
            drop_database_objects(db, ident);
        } catch (...) {
        }
        throw ProvisionError(std::string("PostgreSQL refused: ") + e.what());
    }
    std::string host = PQhost(db.raw()) ? PQhost(db.raw()) : "127.0.0.1";
    std::string port = PQport(db.raw()) ? PQport(db.raw()) : "5432";
    if (!host.empty() && host[0] == '/') host = "127.0.0.1";
    Provisioned out;
    std::string secret = name == "main" ? "DATABASE_URL" : upper(name) + "_DATABASE_URL";
    out.secrets[secret] = "postgresql://" + ident + ":" + password + "@" + host + ":" + port + "/" + ident;
    out.outputs = json_own(json_pack("{s:s,s:s,s:s,s:s}", "database", ident.c_str(), "role", ident.c_str(),
                                     "host", (host + ":" + port).c_str(), "secret", secret.c_str()));
    return out;
}

std::string redis_user(const ResourceRow& request, const std::string& name) {
    return "asg_" + request.project_id + "_" + name;  // no ":" (it would split a redis:// URL)
}

// Writes the ACL to Redis's aclfile when the operator configured one; without it ACL users live in
// Redis's memory only (README: configure aclfile to keep them across Redis restarts).
void persist_acl(RedisConnection& redis) {
    try {
        redis.command({"ACL", "SAVE"});
    } catch (const RedisError&) {
        // No aclfile configured: nothing to persist to.
    }
}

// What a namespace user may run: everything on its own keys and channels, nothing that reaches the
// whole server. Redis 7 checks key patterns only on a command's key arguments, so the commands that
// walk or count the keyspace (SCAN, KEYS, RANDOMKEY, DBSIZE, MEMORY STATS), list channels (PUBSUB) or
// touch the server-wide function and script caches would show or change other tenants' data: they
// are denied by name (a script's redis.call is checked against the same rules).
const char* const kNamespaceCommands[] = {
    "+@all", "-@dangerous", "-@admin", "-select", "-swapdb", "-keys", "-scan", "-randomkey", "-dbsize",
    "-pubsub", "-memory|stats", "-memory|doctor", "-function", "-script|flush", "-script|kill"};

Provisioned provision_redis(const ResourceRow& request, const json_t* params) {
    std::string name = param_or(params, "name", "main");
    std::string user = redis_user(request, name);
    std::string prefix = request.project_id + ":" + name + ":";
    std::string password = random_base62(32);
    try {
        RedisConnection& redis = thread_redis();
        auto existing = redis.command({"ACL", "GETUSER", user});
        if (existing->type != REDIS_REPLY_NIL) throw ProvisionError("a Redis user " + user + " already exists");
        std::vector<std::string> acl = {"ACL", "SETUSER", user, "reset", "on", ">" + password, "~" + prefix + "*",
                                        "&" + prefix + "*"};
        acl.insert(acl.end(), std::begin(kNamespaceCommands), std::end(kNamespaceCommands));
        redis.command(acl);
        persist_acl(redis);
    } catch (const RedisError& e) {
        throw ProvisionError(std::string("Redis refused: ") + e.what());
    }
    auto config = runtime_config();
    Provisioned out;
    std::string secret = name == "main" ? "REDIS_URL" : upper(name) + "_REDIS_URL";
    out.secrets[secret] = "redis://" + user + ":" + password + "@" + config->redis_host + ":" +
                          std::to_string(config->redis_port) + "/0";
    out.outputs = json_own(json_pack("{s:s,s:s,s:s}", "user", user.c_str(), "key_prefix", prefix.c_str(),
                                     "secret", secret.c_str()));
    return out;
}

Provisioned provision_gateway(PgConnection& db, const ResourceRow& request) {
    db.exec("UPDATE projects SET gateway_enabled = true, updated_at = now() WHERE id = $1", {request.project_id});
    MintedToken key = rotate_project_key(db, request.project_id);
    Provisioned out;
    out.one_time_credential = key.plaintext;
    out.outputs = json_own(json_pack("{s:s,s:s,s:I}", "endpoint", "POST /api/gateway/chat", "key_prefix",
                                     key.plaintext.substr(0, 12).c_str(), "key_id", (json_int_t)key.id));
    return out;
}

}  // namespace

Provisioned provision_builtin(PgConnection& db, const ServiceRow& service, const ResourceRow& request,
                              const json_t* params) {
    if (service.driver == "secret") return provision_secret(db, request, params);
    if (service.driver == "postgres-database") return provision_postgres(db, request, params);
    if (service.driver == "redis-namespace") return provision_redis(request, params);
    if (service.driver == "inference-gateway") return provision_gateway(db, request);
    throw ProvisionError("service " + service.type + " has no built-in driver (driver " + service.driver + ")");
}

void deprovision(PgConnection& db, const ServiceRow& service, const ResourceRow& request) {
    json_error_t error;
    Json params = json_own(json_loads(request.params_json.c_str(), 0, &error));
    Json outputs = json_own(json_loads(request.outputs_json.c_str(), 0, &error));
    std::string name = param_or(params.get(), "name", "main");
    try {
        if (service.driver == "postgres-database") {
            drop_database_objects(db, database_ident(request.project_id, name));
        } else if (service.driver == "redis-namespace") {
            thread_redis().command({"ACL", "DELUSER", redis_user(request, name)});
            persist_acl(thread_redis());
        } else if (service.driver == "inference-gateway") {
            db.exec("UPDATE projects SET gateway_enabled = false, updated_at = now() WHERE id = $1", {request.project_id});
            // The gateway's key goes; a CI key minted with --allow-provision stays (it is not the gateway's).
            db.exec("UPDATE tokens SET revoked_at = now() WHERE kind = 'project' AND project_id = $1 AND revoked_at IS NULL"
                    " AND NOT may_provision",
                    {request.project_id});
        }
        std::string_view secret = json_member_string(outputs.get(), "secret");
        if (!secret.empty()) delete_secret(db, request.project_id, std::string(secret), request.id);
        std::size_t i;
        json_t* listed;
        json_array_foreach(json_object_get(outputs.get(), "secrets"), i, listed) {
            if (json_is_string(listed)) delete_secret(db, request.project_id, json_string_value(listed), request.id);
        }
    } catch (const PgError& e) {
        throw ProvisionError(std::string("PostgreSQL refused: ") + e.what());
    } catch (const RedisError& e) {
        throw ProvisionError(std::string("Redis refused: ") + e.what());
    }
}

}  // namespace asg
