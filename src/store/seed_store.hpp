// The seed library: guidance files tagged core / language / domain / template.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/pg_connection.hpp"

namespace asg {

struct SeedFile {
    std::string id, kind, title, target, why, body;
    std::vector<std::string> applies_to, keywords;
    int version = 1;
};

// Parses a library file: a front-matter block (id, kind, title, target, applies_to, keywords, why) and a body.
SeedFile parse_seed_file(const std::string& text, const std::string& origin);
// Inserts or updates (bumping the version when the content changed); returns "added", "updated" or "unchanged".
std::string upsert_seed_file(PgConnection& db, const SeedFile& file);
std::vector<SeedFile> load_seed_library(PgConnection& db, bool with_bodies);
std::optional<SeedFile> find_seed_file(PgConnection& db, const std::string& id);

// The starter library shipped in the binary (generated from src/seed_library/).
struct EmbeddedSeed {
    const char* path;
    const char* text;
};
extern const EmbeddedSeed kSeedLibrary[];
extern const std::size_t kSeedLibraryCount;

}  // namespace asg
