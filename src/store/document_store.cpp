// SQL for guidance and recipe documents and their drafts.
#include "store/document_store.hpp"

namespace asg {

static const char kColumns[] =
    "kind, name, title, body, status, author,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(decided_by, ''),"
    " coalesce(reason, ''), version";

static DocumentRow row_at(const PgResult& r, int i) {
    DocumentRow d{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                  r.text(i, 6), r.text(i, 7), r.text(i, 8), 0};
    d.version = static_cast<int>(r.int64(i, 9));
    return d;
}

static const char kVisible[] = "(status = 'published' OR (status = 'draft' AND ($3 OR author_id = $2)))";
// Asked for by version, a rejected draft is visible too, to its author and admins (with the reason).
static const char kVisibleByVersion[] = "(status = 'published' OR (status IN ('draft', 'rejected') AND ($3 OR author_id = $2)))";

std::vector<DocumentRow> list_documents(PgConnection& db, const std::string& kind, std::int64_t viewer_id,
                                        bool viewer_is_admin) {
    auto r = db.exec(std::string("SELECT ") + kColumns + " FROM documents d WHERE kind = $1 AND (" +
                         "(status = 'published' AND version = (SELECT max(version) FROM documents p"
                         " WHERE p.kind = d.kind AND p.name = d.name AND p.status = 'published'))"
                         " OR (status = 'draft' AND ($3 OR author_id = $2))) ORDER BY name, version",
                     {kind, std::to_string(viewer_id), viewer_is_admin ? "true" : "false"});
    std::vector<DocumentRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i));
    return out;
}

std::optional<DocumentRow> get_document(PgConnection& db, const std::string& kind, const std::string& name,
                                        std::optional<int> version, std::int64_t viewer_id, bool viewer_is_admin) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM documents WHERE kind = $1 AND name = $4 AND " +
                      (version ? kVisibleByVersion : kVisible) + (version ? " AND version = $5" : "") +
                      " ORDER BY (status = 'published') DESC, version DESC LIMIT 1";
    std::vector<PgParam> params{kind, std::to_string(viewer_id), viewer_is_admin ? "true" : "false", name};
    if (version) params.push_back(std::to_string(*version));
    auto r = db.exec(sql, params);
    if (r.rows() == 0) return std::nullopt;
    return row_at(r, 0);
}

DocumentRow put_draft(PgConnection& db, const std::string& kind, const std::string& name, const std::string& title,
                      const std::string& body, std::int64_t author_id, const std::string& author) {
    return pg_transaction(db, [&] {
        db.exec("SELECT pg_advisory_xact_lock(hashtext('asgard.documents:' || $1 || ':' || $2))", {kind, name});
        auto r = db.exec(std::string("INSERT INTO documents (kind, name, version, title, body, status, author_id, author)"
                                     " SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, 'draft', $5, $6"
                                     " FROM documents WHERE kind = $1 AND name = $2 RETURNING ") + kColumns,
                         {kind, name, title, body, author_id ? PgParam(std::to_string(author_id)) : std::nullopt, author});
        return row_at(r, 0);
    });
}

std::vector<DocumentRow> list_drafts(PgConnection& db) {
    auto r = db.exec(std::string("SELECT ") + kColumns + " FROM documents WHERE status = 'draft' ORDER BY created_at");
    std::vector<DocumentRow> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(row_at(r, i));
    return out;
}

std::int64_t count_drafts(PgConnection& db) {
    return db.exec("SELECT count(*) FROM documents WHERE status = 'draft'").int64(0, 0);
}

bool decide_draft(PgConnection& db, const std::string& kind, const std::string& name, int version,
                  const std::string& status, const std::string& decided_by, const std::optional<std::string>& reason) {
    auto r = db.exec("UPDATE documents SET status = $4, decided_by = $5, decided_at = now(), reason = $6"
                     " WHERE kind = $1 AND name = $2 AND version = $3 AND status = 'draft'",
                     {kind, name, std::to_string(version), status, decided_by, reason});
    return r.command_tuples() == "1";
}

}  // namespace asg
