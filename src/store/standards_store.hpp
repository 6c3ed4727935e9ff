// Standards in PostgreSQL: latest versions, one version, and append-only puts.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct StandardRow {
    std::string name;
    std::string title;
    int version = 0;
    std::string updated;  // RFC 3339, UTC
    std::string author;
    std::string body;     // empty in listings
    std::string note;     // why this version was written ("" before notes existed)
};

std::vector<StandardRow> list_latest_standards(PgConnection& db);
// All latest versions with bodies, or one by name (latest, or the given version).
std::vector<StandardRow> get_standards(PgConnection& db, const std::optional<std::string>& name,
                                       std::optional<int> version);
// Appends a new version; returns it.
StandardRow put_standard(PgConnection& db, const std::string& name, const std::string& title,
                         const std::string& body, const std::string& author, const std::string& note = "");
// Every version of one standard, newest first, without bodies.
std::vector<StandardRow> standard_history(PgConnection& db, const std::string& name);

}  // namespace asg
