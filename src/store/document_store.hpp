// Guidance and recipes: versioned documents that start as drafts until an admin decides.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct DocumentRow {
    std::string kind, name, title, body, status, author, created, decided_by, reason;
    int version = 0;
};

// Published latest versions plus drafts visible to the viewer (their own; every draft for admins).
std::vector<DocumentRow> list_documents(PgConnection& db, const std::string& kind, std::int64_t viewer_id,
                                        bool viewer_is_admin);
// The latest published version (or the viewer's newer draft), or one version when given and visible.
std::optional<DocumentRow> get_document(PgConnection& db, const std::string& kind, const std::string& name,
                                        std::optional<int> version, std::int64_t viewer_id, bool viewer_is_admin);
DocumentRow put_draft(PgConnection& db, const std::string& kind, const std::string& name, const std::string& title,
                      const std::string& body, std::int64_t author_id, const std::string& author);
std::vector<DocumentRow> list_drafts(PgConnection& db);
std::int64_t count_drafts(PgConnection& db);
// Decides a draft: published or rejected. Returns false when it is not a draft (already decided or unknown).
bool decide_draft(PgConnection& db, const std::string& kind, const std::string& name, int version,
                  const std::string& status, const std::string& decided_by, const std::optional<std::string>& reason);

}  // namespace asg
