// SQL for the standards table (append-only versions).
#include "store/standards_store.hpp"

namespace asg {

static constexpr const char* kUpdated =
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

static StandardRow row_at(const PgResult& r, int i, bool with_body) {
    StandardRow row;
    row.name = r.text(i, 0);
    row.title = r.text(i, 1);
    row.version = static_cast<int>(r.int64(i, 2));
    row.updated = r.text(i, 3);
    row.author = r.text(i, 4);
    if (with_body) row.body = r.text(i, 5);
    if (r.columns() > 6) row.note = r.text(i, 6);
    return row;
}

std::vector<StandardRow> list_latest_standards(PgConnection& db) {
    auto r = db.exec(std::string("SELECT DISTINCT ON (name) name, title, version, ") + kUpdated +
                     ", author FROM standards ORDER BY name, version DESC");
    std::vector<StandardRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i, false));
    return out;
}

std::vector<StandardRow> get_standards(PgConnection& db, const std::optional<std::string>& name,
                                       std::optional<int> version) {
    std::string columns = std::string("name, title, version, ") + kUpdated + ", author, body, note";
    PgResult r = [&] {
        if (name && version)
            return db.exec("SELECT " + columns + " FROM standards WHERE name = $1 AND version = $2",
                           {*name, std::to_string(*version)});
        if (name)
            return db.exec("SELECT " + columns +
                               " FROM standards WHERE name = $1 ORDER BY version DESC LIMIT 1",
                           {*name});
        return db.exec("SELECT DISTINCT ON (name) " + columns +
                       " FROM standards ORDER BY name, version DESC");
    }();
    std::vector<StandardRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i, true));
    return out;
}

StandardRow put_standard(PgConnection& db, const std::string& name, const std::string& title,
                         const std::string& body, const std::string& author, const std::string& note) {
    return pg_transaction(db, [&] {
        db.exec("SELECT pg_advisory_xact_lock(hashtext('asgard.standards:' || $1))", {name});
        auto r = db.exec(
            std::string("INSERT INTO standards (name, version, title, body, author, note)"
                        " SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM standards"
                        " WHERE name = $1 RETURNING name, title, version, ") +
                kUpdated + ", author, '', note",
            {name, title, body, author, note});
        return row_at(r, 0, false);
    });
}

std::vector<StandardRow> standard_history(PgConnection& db, const std::string& name) {
    auto r = db.exec(std::string("SELECT name, title, version, ") + kUpdated +
                         ", author, '', note FROM standards WHERE name = $1 ORDER BY version DESC",
                     {name});
    std::vector<StandardRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i, false));
    return out;
}

}  // namespace asg
