// The admin's decisions, one implementation for the asgard CLI and the dashboard's admin pages:
// publishing or rejecting a guidance/recipe draft, turning a kill switch on or off, writing a
// standard's version, setting a budget or a rate limit (approving or denying a review-tier request
// is provisioning/request_flow's). Each writes its audit row with
// the actor given (cli:..., or user:NAME for a dashboard admin) in the transaction that decides.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "provisioning/request_flow.hpp"
#include "store/pg_connection.hpp"
#include "store/standards_store.hpp"

namespace asg {

// Publishes (approve) or rejects a draft; a rejection needs a reason. Throws RequestRefused
// (not_found: no such draft, or already decided; invalid: no reason).
void decide_document_draft(PgConnection& db, const std::string& kind, const std::string& name, int version, bool approve,
                           const std::string& actor, const std::optional<std::string>& reason);

// scope: global (target ""), project (a project id), model (an alias). False when turning off one
// that was not on (nothing to do, nothing audited). Throws RequestRefused (invalid: a bad scope or
// target).
bool set_kill_switch(PgConnection& db, const std::string& scope, const std::string& target, bool on,
                     const std::optional<std::string>& reason, const std::string& actor);

// Writes a new version of a standard (a new standard when none has the name): its title, body
// (not empty, valid UTF-8, at most 200,000 bytes) and change note, by `author`; audited
// standards.put. MCP's get_standards serves it from the next call on, on every node. Throws
// RequestRefused (invalid).
StandardRow save_standard(PgConnection& db, const std::string& name, const std::string& title, const std::string& body,
                          const std::string& note, const std::string& author, const std::string& actor);
// Writes version `version`'s title and body again as the newest version; audited standards.restore.
// Throws RequestRefused (not_found, invalid).
StandardRow restore_standard(PgConnection& db, const std::string& name, int version, const std::string& note,
                             const std::string& author, const std::string& actor);

// A project's monthly budget in micro-USD (under 100,000,000 USD); audited budget.set. Throws
// RequestRefused (invalid: no such project, or out of range).
void set_project_budget(PgConnection& db, const std::string& project_id, std::int64_t micro_usd, const std::string& actor);
// Requests and tokens per minute per key: a project's ("" for the default); audited ratelimit.set.
// Throws RequestRefused (invalid).
void set_rate_limit(PgConnection& db, const std::string& project_id, long long rpm, long long tpm, const std::string& actor);

}  // namespace asg
