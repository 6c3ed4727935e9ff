// Request transitions, each committed with its event; driver side effects are undone on failure.
#include "provisioning/request_flow.hpp"

#include "store/audit_log.hpp"
#include "store/secret_store.hpp"

namespace asg {

namespace {

Json secret_names_json(const Provisioned& p) {
    Json names = json_own(json_array());
    for (const auto& [name, value] : p.secrets) json_array_append_new(names.get(), json_string(name.c_str()));
    return names;
}

}  // namespace

FlowResult complete_provisioning(PgConnection& db, const ServiceRow& service, const ResourceRow& request,
                                 const std::string& actor, const std::function<Provisioned()>& make,
                                 const FlowProgress& progress) {
    auto tell = [&](const std::string& message) {
        if (progress) progress(message);
    };
    Provisioned made;
    tell("provisioning " + request.id + ": the " + service.type + " driver is making it");
    try {
        made = make();
    } catch (const std::exception& e) {
        transition(db, request.id, "provisioning", "failed", actor, std::string(e.what()));
        tell(request.id + " failed: " + e.what());
        return {*find_request(db, request.id), ""};
    }
    tell("provisioning " + request.id + ": made; recording its outputs" + (made.secrets.empty() ? "" : " and secrets"));
    try {
        pg_transaction(db, [&] {
            for (const auto& [name, value] : made.secrets) put_secret(db, request.project_id, name, value, actor, request.id);
            if (!made.outputs) made.outputs = json_own(json_object());
            if (!made.secrets.empty() && !json_object_get(made.outputs.get(), "secret"))
                json_object_set_new(made.outputs.get(), "secrets", json_incref(secret_names_json(made).get()));
            transition(db, request.id, "provisioning", "ready", actor, std::nullopt, json_to_string(made.outputs.get()));
        });
    } catch (const std::exception& e) {
        ResourceRow partial = request;
        partial.outputs_json = made.outputs ? json_to_string(made.outputs.get()) : "{}";
        std::string undo;
        try {
            deprovision(db, service, partial);
        } catch (const std::exception& undo_error) {
            undo = std::string("; undoing it failed too: ") + undo_error.what();
        }
        transition(db, request.id, "provisioning", "failed", actor, std::string("could not record the result: ") + e.what() + undo);
        tell(request.id + " failed: could not record the result");
        return {*find_request(db, request.id), ""};
    }
    tell(request.id + " is ready");
    return {*find_request(db, request.id), made.one_time_credential};
}

FlowResult submit_request(PgConnection& db, const std::string& project_id, const ServiceRow& service,
                          const json_t* params, const std::optional<std::string>& justification,
                          const std::string& actor, const std::string& audit_tool, std::optional<std::int64_t> credential,
                          const FlowProgress& progress) {
    bool review = service.tier == "review";
    ResourceRow request;
    try {
        request = pg_transaction(db, [&] {
            ResourceRow r = insert_request(db, project_id, service, json_to_string(params), justification, "requested", actor);
            transition(db, r.id, "requested", review ? "pending_approval" : "provisioning", actor, std::nullopt);
            audit_append(db, {actor, credential, audit_tool, project_id, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:s}", "request", r.id.c_str(), "service",
                                                                service.type.c_str())).get())});
            return *find_request(db, r.id);
        });
    } catch (const PgError& e) {
        if (e.sqlstate != kUniqueViolation) throw;
        std::string name = resource_name(params);
        auto live = find_live_named(db, project_id, service.type, name);
        std::string what = service.type == "inference-gateway" ? "the gateway" : service.type + " " + name;
        throw ResourceNameTaken("project " + project_id + " already has " + what +
                                    (live ? " (" + live->id + ", " + live->state + ")" : "") +
                                    ": release it first, or pick another name",
                                live ? live->id : "");
    }
    if (progress)
        progress("request " + request.id + " recorded: " + service.type +
                 (review ? " is review-tier and waits for an admin's approval" : " is self-service and is provisioned now"));
    if (review) return {request, ""};
    return complete_provisioning(db, service, request, actor,
                                 [&] { return provision_builtin(db, service, request, params); }, progress);
}

ResourceRow release_request(PgConnection& db, const ResourceRow& request, const std::string& actor) {
    if (request.state == "pending_approval") {
        transition(db, request.id, "pending_approval", "cancelled", actor, std::string("released before approval"));
        return *find_request(db, request.id);
    }
    if (request.state != "ready")
        throw std::runtime_error("request " + request.id + " is " + request.state + ": only a ready or pending resource can be released");
    auto service = find_service(db, request.service_type);
    transition(db, request.id, "ready", "deprovisioning", actor, std::nullopt);
    try {
        deprovision(db, *service, request);
    } catch (const std::exception& e) {
        transition(db, request.id, "deprovisioning", "failed", actor, std::string("release failed: ") + e.what());
        return *find_request(db, request.id);
    }
    transition(db, request.id, "deprovisioning", "deprovisioned", actor, std::nullopt);
    return *find_request(db, request.id);
}

}  // namespace asg
