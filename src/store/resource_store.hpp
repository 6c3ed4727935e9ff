// Services (the catalog) and resource requests with their state machine's event log.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <jansson.h>

#include "store/pg_connection.hpp"

namespace asg {

struct ServiceRow {
    std::string type, title, description, tier, parameters_json, price_usd_month, driver, driver_config_json;
    bool enabled = true;
};

struct ResourceRow {
    std::string id, project_id, service_type, params_json, justification, state, reason, outputs_json,
        requested_by, price_usd_month, created, updated;
};

struct ResourceEvent {
    std::string at, from_state, to_state, actor, note;
};

std::vector<ServiceRow> list_services(PgConnection& db, bool enabled_only);
std::optional<ServiceRow> find_service(PgConnection& db, const std::string& type);

// Inserts a request in its first state and records the event.
ResourceRow insert_request(PgConnection& db, const std::string& project_id, const ServiceRow& service,
                           const std::string& params_json, const std::optional<std::string>& justification,
                           const std::string& state, const std::string& actor);
std::optional<ResourceRow> find_request(PgConnection& db, const std::string& id, bool for_update = false);
std::vector<ResourceRow> list_requests(PgConnection& db, const std::optional<std::string>& project_id,
                                       const std::optional<std::string>& state);
// How many requests are in a state (resource_requests_state_idx).
std::int64_t count_requests(PgConnection& db, const std::string& state);
// The name a request claims within its project and type: params.name, "main" when absent. A project
// holds one live (not yet released, denied, cancelled or failed) request per name of the built-in
// types (migration 0008's unique index; its violation is kUniqueViolation).
std::string resource_name(const json_t* params);
std::optional<ResourceRow> find_live_named(PgConnection& db, const std::string& project_id, const std::string& type,
                                           const std::string& name);
std::vector<ResourceEvent> request_events(PgConnection& db, const std::string& id);
// Moves a request to a new state (with reason/outputs when given) and logs the event.
void transition(PgConnection& db, const std::string& id, const std::string& from, const std::string& to,
                const std::string& actor, const std::optional<std::string>& note,
                const std::optional<std::string>& outputs_json = std::nullopt);

}  // namespace asg
