// Admin decisions on review-tier requests (asgard requests approve|deny): approval runs the
// service's driver (the operator's webhook for external types).
#include "provisioning/request_flow.hpp"
#include "store/audit_log.hpp"

namespace asg {

FlowResult approve_request(PgConnection& db, const std::string& id, const std::string& actor) {
    auto request = find_request(db, id);
    if (!request) throw RequestRefused("not_found", "no request " + id);
    if (request->state != "pending_approval")
        throw RequestRefused("already_decided", "request " + id + " is " + request->state + ", not pending_approval: it was already decided");
    auto service = find_service(db, request->service_type);
    pg_transaction(db, [&] {
        transition(db, id, "pending_approval", "approved", actor, std::nullopt);
        transition(db, id, "approved", "provisioning", actor, std::nullopt);
        audit_append(db, {actor, std::nullopt, "requests.approve", request->project_id, "ok",
                          json_to_string(json_own(json_pack("{s:s}", "request", id.c_str())).get())});
    });
    json_error_t error;
    Json params = json_own(json_loads(request->params_json.c_str(), 0, &error));
    request = find_request(db, id);
    const ResourceRow& approved = *request;
    return complete_provisioning(db, *service, approved, actor, [&] {
        return service->driver == "webhook" ? provision_via_webhook(*service, approved)
                                            : provision_builtin(db, *service, approved, params.get());
    });
}

ResourceRow deny_request(PgConnection& db, const std::string& id, const std::string& actor, const std::string& reason) {
    auto request = find_request(db, id);
    if (!request) throw RequestRefused("not_found", "no request " + id);
    if (request->state != "pending_approval")
        throw RequestRefused("already_decided", "request " + id + " is " + request->state + ", not pending_approval: it was already decided");
    pg_transaction(db, [&] {
        transition(db, id, "pending_approval", "denied", actor, reason);
        audit_append(db, {actor, std::nullopt, "requests.deny", request->project_id, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:s}", "request", id.c_str(), "reason", reason.c_str())).get())});
    });
    return *find_request(db, id);
}

}  // namespace asg
