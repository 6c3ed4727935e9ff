// Projects (proj-YYYY-NNNN), their people and groups, and operator settings, in PostgreSQL.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct ProjectRow {
    std::string id, name, description, owner, manager, group, created, updated;
    std::int64_t owner_id = 0, manager_id = 0;  // 0: none
    bool gateway_enabled = false;
};

struct NewProject {
    std::string name, description;
    std::int64_t owner_id = 0;
    std::optional<std::int64_t> manager_id;
    std::optional<std::string> group;
};

// Mints the next id of the current year and inserts the project, in the caller's transaction.
ProjectRow insert_project(PgConnection& db, const NewProject& project);
std::optional<ProjectRow> find_project(PgConnection& db, const std::string& id);
// Projects a user owns or manages (every project when all is true).
std::vector<ProjectRow> list_projects_of(PgConnection& db, std::int64_t user_id, bool all);

struct ProjectChanges {
    std::optional<std::string> name, description, group;
    std::optional<std::int64_t> manager_id;
};
ProjectRow update_project(PgConnection& db, const std::string& id, const ProjectChanges& changes);

bool user_in_group(PgConnection& db, std::int64_t user_id, const std::string& group);
void add_group_member(PgConnection& db, const std::string& group, std::int64_t user_id);

std::string get_setting(PgConnection& db, const std::string& key, const std::string& fallback);
void put_setting(PgConnection& db, const std::string& key, const std::string& value);

}  // namespace asg
