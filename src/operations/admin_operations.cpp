// Drafts and kill switches, decided and audited once for every caller.
#include "operations/admin_operations.hpp"

#include "store/audit_log.hpp"
#include "store/cost_store.hpp"
#include "store/document_store.hpp"
#include "store/kill_switch_store.hpp"
#include "store/limits_store.hpp"
#include "store/project_store.hpp"
#include "util/json_ptr.hpp"
#include "util/money.hpp"

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

StandardRow save_standard(PgConnection& db, const std::string& name, const std::string& title, const std::string& body,
                          const std::string& note, const std::string& author, const std::string& actor) {
    if (body.empty() || body.size() > 200000) throw RequestRefused("invalid", "a standard's text is 1 to 200,000 bytes");
    if (!valid_utf8(body) || !valid_utf8(title) || !valid_utf8(note)) throw RequestRefused("invalid", "a standard is UTF-8 text");
    if (title.empty() || title.size() > 200) throw RequestRefused("invalid", "a standard's title is 1 to 200 characters");
    if (note.size() > 2000) throw RequestRefused("invalid", "a change note is at most 2,000 characters");
    try {
        return pg_transaction(db, [&] {
            StandardRow row = put_standard(db, name, title, body, author, note);
            audit_append(db, {actor, std::nullopt, "standards.put", std::nullopt, "ok",
                              json_to_string(json_own(json_pack("{s:s,s:i,s:s}", "name", name.c_str(), "version", row.version,
                                                                "note", note.c_str())).get())});
            return row;
        });
    } catch (const PgError& e) {
        if (e.sqlstate == "23514")
            throw RequestRefused("invalid", "invalid standard name '" + name + "': lower-case letters, digits, '_' and '-' (at most 64)");
        throw;
    }
}

StandardRow restore_standard(PgConnection& db, const std::string& name, int version, const std::string& note,
                             const std::string& author, const std::string& actor) {
    auto old = get_standards(db, name, version);
    if (old.empty()) throw RequestRefused("not_found", "standard " + name + " has no version " + std::to_string(version));
    std::string why = "restores version " + std::to_string(version) + (note.empty() ? "" : ": " + note);
    return pg_transaction(db, [&] {
        StandardRow row = put_standard(db, name, old[0].title, old[0].body, author, why);
        audit_append(db, {actor, std::nullopt, "standards.restore", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:i,s:i}", "name", name.c_str(), "version", row.version,
                                                            "restored", version)).get())});
        return row;
    });
}

void set_project_budget(PgConnection& db, const std::string& project_id, std::int64_t micro_usd, const std::string& actor) {
    if (micro_usd < 0 || micro_usd >= 100000000LL * 1000000) throw RequestRefused("invalid", "a monthly budget is 0 to 99,999,999.999999 USD");
    if (!find_project(db, project_id)) throw RequestRefused("invalid", "no project " + project_id);
    std::string text = format_usd(micro_usd);
    pg_transaction(db, [&] {
        set_budget(db, project_id, text);
        audit_append(db, {actor, std::nullopt, "budget.set", project_id, "ok",
                          json_to_string(json_own(json_pack("{s:s}", "monthly_usd", text.c_str())).get())});
    });
}

void set_rate_limit(PgConnection& db, const std::string& project_id, long long rpm, long long tpm, const std::string& actor) {
    if (rpm < 1 || tpm < 1 || rpm > 2000000000 || tpm > 2000000000)
        throw RequestRefused("invalid", "rpm and tpm are whole numbers from 1 to 2,000,000,000");
    if (!project_id.empty() && !find_project(db, project_id)) throw RequestRefused("invalid", "no project " + project_id);
    pg_transaction(db, [&] {
        put_rate_limit(db, project_id, static_cast<int>(rpm), static_cast<int>(tpm));
        audit_append(db, {actor, std::nullopt, "ratelimit.set", std::nullopt, "ok",
                          json_to_string(json_own(json_pack("{s:s,s:s,s:s}", "project", project_id.c_str(), "rpm",
                                                            std::to_string(rpm).c_str(), "tpm", std::to_string(tpm).c_str())).get())});
    });
}

}  // namespace asg
