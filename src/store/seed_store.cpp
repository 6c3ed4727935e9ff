// Seed library parsing and SQL.
#include "store/seed_store.hpp"

#include <sstream>
#include <stdexcept>

namespace asg {

static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
    std::size_t start = s.find_first_not_of(" \t");
    return start == std::string::npos ? "" : s.substr(start);
}

static std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        item = trim(item);
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

SeedFile parse_seed_file(const std::string& text, const std::string& origin) {
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || trim(line) != "---")
        throw std::runtime_error(origin + ": must start with a '---' front-matter line");
    SeedFile f;
    bool closed = false;
    while (std::getline(in, line)) {
        if (trim(line) == "---") {
            closed = true;
            break;
        }
        auto colon = line.find(':');
        if (colon == std::string::npos) throw std::runtime_error(origin + ": front-matter line without ':': " + line);
        std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
        if (key == "id") f.id = value;
        else if (key == "kind") f.kind = value;
        else if (key == "title") f.title = value;
        else if (key == "target") f.target = value;
        else if (key == "why") f.why = value;
        else if (key == "applies_to") f.applies_to = split_list(value);
        else if (key == "keywords") f.keywords = split_list(value);
        else throw std::runtime_error(origin + ": unknown front-matter key '" + key + "'");
    }
    if (!closed) throw std::runtime_error(origin + ": the front matter is not closed by '---'");
    std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    f.body = rest;
    for (const auto* field : {&f.id, &f.kind, &f.title, &f.target, &f.why})
        if (field->empty()) throw std::runtime_error(origin + ": id, kind, title, target and why are required");
    if (f.id.rfind(f.kind + "/", 0) != 0) throw std::runtime_error(origin + ": id must start with its kind, e.g. " + f.kind + "/name");
    if (f.target.find("..") != std::string::npos || f.target.front() == '/')
        throw std::runtime_error(origin + ": target must be a relative path inside the repo");
    if (f.body.empty()) throw std::runtime_error(origin + ": the body is empty");
    return f;
}

static std::string pg_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i ? ",\"" : "\"");
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += "\"";
    }
    return out + "}";
}

std::string upsert_seed_file(PgConnection& db, const SeedFile& f) {
    auto r = db.exec(
        "INSERT INTO seed_files AS s (id, kind, title, target, applies_to, keywords, why, body)"
        " VALUES ($1, $2, $3, $4, $5::text[], $6::text[], $7, $8)"
        " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, title = EXCLUDED.title, target = EXCLUDED.target,"
        " applies_to = EXCLUDED.applies_to, keywords = EXCLUDED.keywords, why = EXCLUDED.why, body = EXCLUDED.body,"
        " version = s.version + 1, updated_at = now()"
        " WHERE (s.kind, s.title, s.target, s.applies_to, s.keywords, s.why, s.body) IS DISTINCT FROM"
        " (EXCLUDED.kind, EXCLUDED.title, EXCLUDED.target, EXCLUDED.applies_to, EXCLUDED.keywords, EXCLUDED.why, EXCLUDED.body)"
        " RETURNING version",
        {f.id, f.kind, f.title, f.target, pg_array(f.applies_to), pg_array(f.keywords), f.why, f.body});
    if (r.rows() == 0) return "unchanged";
    return r.int64(0, 0) == 1 ? "added" : "updated";
}

static std::vector<std::string> parse_pg_array(const std::string& text) {
    // Text form of a text[] with simple elements (no quotes needed in our tags).
    std::vector<std::string> out;
    if (text.size() < 2) return out;
    std::string inner = text.substr(1, text.size() - 2);
    std::string item;
    bool quoted = false;
    for (std::size_t i = 0; i < inner.size(); ++i) {
        char c = inner[i];
        if (c == '"') quoted = !quoted;
        else if (c == '\\' && i + 1 < inner.size()) item += inner[++i];
        else if (c == ',' && !quoted) {
            out.push_back(item);
            item.clear();
        } else item += c;
    }
    if (!inner.empty()) out.push_back(item);
    return out;
}

static SeedFile seed_at(const PgResult& r, int i, bool with_body) {
    SeedFile f;
    f.id = r.text(i, 0);
    f.kind = r.text(i, 1);
    f.title = r.text(i, 2);
    f.target = r.text(i, 3);
    f.applies_to = parse_pg_array(r.text(i, 4));
    f.keywords = parse_pg_array(r.text(i, 5));
    f.why = r.text(i, 6);
    f.version = static_cast<int>(r.int64(i, 7));
    if (with_body) f.body = r.text(i, 8);
    return f;
}

std::vector<SeedFile> load_seed_library(PgConnection& db, bool with_bodies) {
    auto r = db.exec(std::string("SELECT id, kind, title, target, applies_to::text, keywords::text, why, version") +
                     (with_bodies ? ", body" : "") + " FROM seed_files ORDER BY id");
    std::vector<SeedFile> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(seed_at(r, i, with_bodies));
    return out;
}

std::optional<SeedFile> find_seed_file(PgConnection& db, const std::string& id) {
    auto r = db.exec("SELECT id, kind, title, target, applies_to::text, keywords::text, why, version, body"
                     " FROM seed_files WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    return seed_at(r, 0, true);
}

}  // namespace asg
