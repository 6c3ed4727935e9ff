// SQL for projects, group membership and settings.
#include "store/project_store.hpp"

namespace asg {

static const char kColumns[] =
    "p.id, p.name, p.description, o.name, coalesce(m.name, ''), coalesce(p.group_name, ''),"
    " to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " p.owner_id, coalesce(p.manager_id, 0), p.gateway_enabled"
    " FROM projects p JOIN users o ON o.id = p.owner_id LEFT JOIN users m ON m.id = p.manager_id";

static ProjectRow row_at(const PgResult& r, int i) {
    ProjectRow p;
    p.id = r.text(i, 0);
    p.name = r.text(i, 1);
    p.description = r.text(i, 2);
    p.owner = r.text(i, 3);
    p.manager = r.text(i, 4);
    p.group = r.text(i, 5);
    p.created = r.text(i, 6);
    p.updated = r.text(i, 7);
    p.owner_id = r.int64(i, 8);
    p.manager_id = r.int64(i, 9);
    p.gateway_enabled = r.boolean(i, 10);
    return p;
}

ProjectRow insert_project(PgConnection& db, const NewProject& project) {
    auto number = db.exec(
        "INSERT INTO project_sequences AS s (year, last_number)"
        " VALUES (extract(year FROM now() AT TIME ZONE 'UTC')::int, 1)"
        " ON CONFLICT (year) DO UPDATE SET last_number = s.last_number + 1"
        " RETURNING 'proj-' || year || '-' || lpad(last_number::text, 4, '0')");
    std::string id = number.text(0, 0);
    db.exec("INSERT INTO projects (id, name, description, owner_id, manager_id, group_name)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            {id, project.name, project.description, std::to_string(project.owner_id),
             project.manager_id ? PgParam(std::to_string(*project.manager_id)) : std::nullopt, project.group});
    return *find_project(db, id);
}

std::optional<ProjectRow> find_project(PgConnection& db, const std::string& id) {
    auto r = db.exec(std::string("SELECT ") + kColumns + " WHERE p.id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    return row_at(r, 0);
}

std::vector<ProjectRow> list_projects_of(PgConnection& db, std::int64_t user_id, bool all) {
    auto r = db.exec(std::string("SELECT ") + kColumns +
                         " WHERE $2 OR p.owner_id = $1 OR p.manager_id = $1 ORDER BY p.id",
                     {std::to_string(user_id), all ? "true" : "false"});
    std::vector<ProjectRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i));
    return out;
}

ProjectRow update_project(PgConnection& db, const std::string& id, const ProjectChanges& c) {
    db.exec("UPDATE projects SET name = coalesce($2, name), description = coalesce($3, description),"
            " group_name = coalesce($4, group_name), manager_id = coalesce($5::bigint, manager_id),"
            " updated_at = now() WHERE id = $1",
            {id, c.name, c.description, c.group,
             c.manager_id ? PgParam(std::to_string(*c.manager_id)) : std::nullopt});
    return *find_project(db, id);
}

bool user_in_group(PgConnection& db, std::int64_t user_id, const std::string& group) {
    return db.exec("SELECT 1 FROM group_members WHERE user_id = $1 AND group_name = $2",
                   {std::to_string(user_id), group}).rows() > 0;
}

void add_group_member(PgConnection& db, const std::string& group, std::int64_t user_id) {
    db.exec("INSERT INTO group_members (group_name, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            {group, std::to_string(user_id)});
}

std::string get_setting(PgConnection& db, const std::string& key, const std::string& fallback) {
    auto r = db.exec("SELECT value FROM settings WHERE key = $1", {key});
    return r.rows() ? r.text(0, 0) : fallback;
}

void put_setting(PgConnection& db, const std::string& key, const std::string& value) {
    db.exec("INSERT INTO settings (key, value) VALUES ($1, $2)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            {key, value});
}

}  // namespace asg
