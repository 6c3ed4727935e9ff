// Provisioning drivers: each really creates (and on release removes) what a service type stands for.
#pragma once
#include <map>
#include <stdexcept>
#include <string>

#include "store/pg_connection.hpp"
#include "store/resource_store.hpp"
#include "util/json_ptr.hpp"

namespace asg {

// A driver could not do its job; it has already undone whatever it had done.
struct ProvisionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Provisioned {
    Json outputs;                                  // non-secret facts shown to the project
    std::map<std::string, std::string> secrets;    // stored encrypted by the caller, in its transaction
    std::string one_time_credential;               // shown once in the result, never stored
};

// Runs the built-in driver of a self-service type. Throws ProvisionError.
Provisioned provision_builtin(PgConnection& db, const ServiceRow& service, const ResourceRow& request,
                              const json_t* params);
// Undoes what provision_builtin (or a webhook) made; best effort, throws ProvisionError on failure.
void deprovision(PgConnection& db, const ServiceRow& service, const ResourceRow& request);

// Calls the operator-configured webhook of an approved review-tier request (asgard CLI only).
Provisioned provision_via_webhook(const ServiceRow& service, const ResourceRow& request);

}  // namespace asg
