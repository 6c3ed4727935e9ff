// SQL for the service catalog, resource requests and resource events.
#include "store/resource_store.hpp"

#include "util/json_ptr.hpp"

namespace asg {

static const char kRequestColumns[] =
    "id, project_id, service_type, params::text, coalesce(justification, ''), state, coalesce(reason, ''),"
    " outputs::text, requested_by, price_usd_month::text,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

static ResourceRow request_at(const PgResult& r, int i) {
    return {r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
            r.text(i, 6), r.text(i, 7), r.text(i, 8), r.text(i, 9), r.text(i, 10), r.text(i, 11)};
}

static ServiceRow service_at(const PgResult& r, int i) {
    return {r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
            r.text(i, 6), r.text(i, 7), r.boolean(i, 8)};
}

static const char kServiceColumns[] =
    "type, title, description, tier, parameters::text, price_usd_month::text, driver, driver_config::text, enabled";

std::vector<ServiceRow> list_services(PgConnection& db, bool enabled_only) {
    auto r = db.exec(std::string("SELECT ") + kServiceColumns + " FROM services WHERE enabled OR NOT $1 ORDER BY type",
                     {enabled_only ? "true" : "false"});
    std::vector<ServiceRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(service_at(r, i));
    return out;
}

std::optional<ServiceRow> find_service(PgConnection& db, const std::string& type) {
    auto r = db.exec(std::string("SELECT ") + kServiceColumns + " FROM services WHERE type = $1", {type});
    if (r.rows() == 0) return std::nullopt;
    return service_at(r, 0);
}

ResourceRow insert_request(PgConnection& db, const std::string& project_id, const ServiceRow& service,
                           const std::string& params_json, const std::optional<std::string>& justification,
                           const std::string& state, const std::string& actor) {
    auto r = db.exec(std::string("INSERT INTO resource_requests (id, project_id, service_type, params, justification,"
                                 " state, requested_by, price_usd_month)"
                                 " VALUES ('req-' || lpad(nextval('resource_request_numbers')::text, 6, '0'),"
                                 " $1, $2, $3::jsonb, $4, $5, $6, $7::numeric) RETURNING ") + kRequestColumns,
                     {project_id, service.type, params_json, justification, state, actor, service.price_usd_month});
    ResourceRow row = request_at(r, 0);
    db.exec("INSERT INTO resource_events (request_id, from_state, to_state, actor, note) VALUES ($1, NULL, $2, $3, $4)",
            {row.id, state, actor, justification});
    return row;
}

std::optional<ResourceRow> find_request(PgConnection& db, const std::string& id, bool for_update) {
    auto r = db.exec(std::string("SELECT ") + kRequestColumns + " FROM resource_requests WHERE id = $1" +
                         (for_update ? " FOR UPDATE" : ""),
                     {id});
    if (r.rows() == 0) return std::nullopt;
    return request_at(r, 0);
}

std::vector<ResourceRow> list_requests(PgConnection& db, const std::optional<std::string>& project_id,
                                       const std::optional<std::string>& state) {
    auto r = db.exec(std::string("SELECT ") + kRequestColumns +
                         " FROM resource_requests WHERE ($1::text IS NULL OR project_id = $1)"
                         " AND ($2::text IS NULL OR state = $2) ORDER BY id",
                     {project_id, state});
    std::vector<ResourceRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(request_at(r, i));
    return out;
}

std::int64_t count_requests(PgConnection& db, const std::string& state) {
    return db.exec("SELECT count(*) FROM resource_requests WHERE state = $1", {state}).int64(0, 0);
}

std::vector<ResourceEvent> request_events(PgConnection& db, const std::string& id) {
    auto r = db.exec("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
                     " coalesce(from_state, ''), to_state, actor, coalesce(note, '')"
                     " FROM resource_events WHERE request_id = $1 ORDER BY id",
                     {id});
    std::vector<ResourceEvent> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
    return out;
}

void transition(PgConnection& db, const std::string& id, const std::string& from, const std::string& to,
                const std::string& actor, const std::optional<std::string>& note,
                const std::optional<std::string>& outputs_json) {
    auto r = db.exec("UPDATE resource_requests SET state = $3, updated_at = now(),"
                     " reason = CASE WHEN $3 IN ('failed', 'denied', 'cancelled') THEN $4 ELSE reason END,"
                     " outputs = coalesce($5::jsonb, outputs),"
                     " ready_at = CASE WHEN $3 = 'ready' THEN now() ELSE ready_at END,"
                     " released_at = CASE WHEN $3 IN ('deprovisioned', 'cancelled') THEN now() ELSE released_at END"
                     " WHERE id = $1 AND state = $2",
                     {id, from, to, note, outputs_json});
    if (r.command_tuples() != "1")
        throw std::runtime_error("request " + id + " is no longer " + from);
    db.exec("INSERT INTO resource_events (request_id, from_state, to_state, actor, note) VALUES ($1, $2, $3, $4, $5)",
            {id, from, to, actor, note});
}

std::string resource_name(const json_t* params) {
    std::string_view name = json_member_string(params, "name");
    return name.empty() ? "main" : std::string(name);
}

std::optional<ResourceRow> find_live_named(PgConnection& db, const std::string& project_id, const std::string& type,
                                           const std::string& name) {
    auto r = db.exec(std::string("SELECT ") + kRequestColumns +
                         " FROM resource_requests WHERE project_id = $1 AND service_type = $2"
                         " AND coalesce(params->>'name', 'main') = $3 AND state IN ('requested', 'pending_approval',"
                         " 'approved', 'provisioning', 'ready', 'deprovisioning') ORDER BY created_at LIMIT 1",
                     {project_id, type, name});
    if (r.rows() == 0) return std::nullopt;
    return request_at(r, 0);
}

}  // namespace asg
