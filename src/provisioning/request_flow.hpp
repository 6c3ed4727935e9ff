// The resource request state machine, shared by the MCP tools and the asgard CLI:
// requested -> pending_approval -> approved -> provisioning -> ready -> deprovisioning -> deprovisioned,
// with denied, cancelled and failed. A failed driver leaves the request failed with its reason.
#pragma once
#include <functional>
#include <stdexcept>
#include <string>

#include "provisioning/drivers.hpp"

namespace asg {

struct FlowResult {
    ResourceRow request;
    std::string one_time_credential;  // a key minted by the driver, shown once
};

// provisioning -> ready with make()'s outputs and secrets committed together, or -> failed with the
// reason (undoing what make() did when recording fails). The request must be provisioning.
// Each step is told to progress (may be empty) as it begins.
using FlowProgress = std::function<void(const std::string& message)>;
FlowResult complete_provisioning(PgConnection& db, const ServiceRow& service, const ResourceRow& request,
                                 const std::string& actor, const std::function<Provisioned()>& make,
                                 const FlowProgress& progress = {});

// A project already has a live request over the name (a secret, a database, a namespace, the gateway):
// the database's unique index decided it, so concurrent requests get exactly one winner.
struct ResourceNameTaken : std::runtime_error {
    std::string existing_id;  // the live request holding the name ("" when it was released meanwhile)
    ResourceNameTaken(const std::string& message, std::string existing)
        : std::runtime_error(message), existing_id(std::move(existing)) {}
};

// Creates a request; self-service types are provisioned at once, review types wait for approval.
// Throws ResourceNameTaken when the project already has that named resource.
FlowResult submit_request(PgConnection& db, const std::string& project_id, const ServiceRow& service,
                          const json_t* params, const std::optional<std::string>& justification,
                          const std::string& actor, const std::string& audit_tool, std::optional<std::int64_t> credential,
                          const FlowProgress& progress = {});
// An admin decision that cannot be made: code not_found or already_decided, the message for people.
struct RequestRefused : std::runtime_error {
    std::string code;
    RequestRefused(std::string c, const std::string& message) : std::runtime_error(message), code(std::move(c)) {}
};
// Admin decisions on a pending request (the CLI and the dashboard's admin pages,
// provisioning/request_review.cpp), audited with the actor. Throw RequestRefused.
FlowResult approve_request(PgConnection& db, const std::string& id, const std::string& actor);
ResourceRow deny_request(PgConnection& db, const std::string& id, const std::string& actor, const std::string& reason);
// Releases a ready resource (deprovisions it) or cancels a pending one.
ResourceRow release_request(PgConnection& db, const ResourceRow& request, const std::string& actor);

}  // namespace asg
