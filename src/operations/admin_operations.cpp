// Drafts and kill switches, decided and audited once for every caller.
#include "operations/admin_operations.hpp"

#include "store/audit_log.hpp"
#include "store/document_store.hpp"
#include "store/kill_switch_store.hpp"
#include "store/project_store.hpp"

namespace asg {

void decide_document_draft(PgConnection& db, const std::string& kind, const std::string& name, int version, bool approve,
                           const std::string& actor, const std::optional<std::string>& reason) {
    if (!approve && (!reason || reason->empty())) throw RequestRefused("invalid", "a rejection needs a reason the author can act on");
    std::string verb = approve ? "approve" : "reject";
    bool done = pg_transaction(db, [&] {
        bool decided = decide_draft(db, kind, name, version, approve ? "published" : "rejected", actor, reason);
        if (decided)
            audit_append(db, {actor, std::nullopt, "drafts." + verb, std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:s,s:i}", "kind", kind.c_str(), "name", name.c_str(),
                                                                "version", version)).get())});
        return decided;
    });
    if (!done)
        throw RequestRefused("not_found", kind + " " + name + "@" + std::to_string(version) + " is not a draft (unknown, or already decided)");
}

bool set_kill_switch(PgConnection& db, const std::string& scope, const std::string& target, bool on,
                     const std::optional<std::string>& reason, const std::string& actor) {
    if (scope != "global" && scope != "project" && scope != "model")
        throw RequestRefused("invalid", "a kill switch's scope is global, project or model");
    if ((scope == "global") != target.empty())
        throw RequestRefused("invalid", scope == "global" ? "the global kill switch has no target"
                                                          : "a " + scope + " kill switch names its " + scope);
    if (on && scope == "project" && !find_project(db, target)) throw RequestRefused("invalid", "no project " + target);
    bool changed = pg_transaction(db, [&] {
        bool done = put_kill_switch(db, scope, target, on, reason, actor);
        if (done)
            audit_append(db, {actor, std::nullopt, on ? "killswitch.on" : "killswitch.off", std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:s,s:s?}", "scope", scope.c_str(), "target", target.c_str(),
                                                                "reason", reason ? reason->c_str() : nullptr)).get())});
        return done;
    });
    return changed;
}

}  // namespace asg
