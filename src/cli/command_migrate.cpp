// asgard migrate: apply pending schema migrations (idempotent), or show their status.
#include <cstdio>

#include "cli/cli_args.hpp"
#include "cli/cli_output.hpp"
#include "cli/commands.hpp"
#include "store/migrations.hpp"
#include "store/seed_store.hpp"

namespace asg::cli {

static const char kHelp[] =
    "usage: asgard migrate [--status] [--json]\n"
    "Applies every pending schema migration, each in its own transaction. Running it again is\n"
    "harmless. --status lists the migrations and whether each is applied.\n";

int run_migrate(const CliSettings& settings, const Words& words) {
    Args args(words, {}, {"status", "json"});
    if (args.help()) return std::printf("%s", kHelp), 0;
    args.expect_positionals(0, "asgard migrate [--status] [--json]");
    PgConnection db(settings.database_url);
    if (args.flag("status")) {
        auto status = migration_status(db);
        if (args.flag("json")) {
            Json list = json_own(json_array());
            for (const auto& m : status)
                json_array_append_new(list.get(), json_pack("{s:i,s:s,s:b}", "version", m.version, "name",
                                                            m.name.c_str(), "applied", m.applied));
            print_json(list.get());
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& m : status)
                rows.push_back({std::to_string(m.version), m.name, m.applied ? "applied" : "pending"});
            print_table({"VERSION", "NAME", "STATE"}, rows);
        }
        return 0;
    }
    auto applied = migrate(db);
    // The starter seed library: files not in the database yet are added; an admin's versions stay.
    int seeded = 0;
    auto present = load_seed_library(db, false);
    for (std::size_t i = 0; i < kSeedLibraryCount; ++i) {
        SeedFile f = parse_seed_file(kSeedLibrary[i].text, kSeedLibrary[i].path);
        bool known = false;
        for (const auto& p : present) known = known || p.id == f.id;
        if (!known && upsert_seed_file(db, f) == "added") ++seeded;
    }
    if (seeded > 0) applied.push_back("seed library: " + std::to_string(seeded) + " starter files");
    if (args.flag("json")) {
        Json list = json_own(json_array());
        for (const auto& name : applied) json_array_append_new(list.get(), json_string(name.c_str()));
        print_json(json_own(json_pack("{s:O}", "applied", list.get())).get());
    } else if (applied.empty()) {
        std::printf("schema is up to date\n");
    } else {
        for (const auto& name : applied) std::printf("applied %s\n", name.c_str());
    }
    return 0;
}

}  // namespace asg::cli
