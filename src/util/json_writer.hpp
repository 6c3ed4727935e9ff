// Writes JSON text from simdjson DOM values: compact, strings escaped, chosen strings replaced
// (a guardrail's redaction) without copying the document.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <simdjson.h>

namespace asg {

// Replacement texts keyed by the address of the DOM string they replace (string_view::data()).
using StringReplacements = std::unordered_map<const char*, std::string>;

// Escapes '"', '\\' and control characters only (short forms where JSON has them, else \u00xx),
// as PostgreSQL's jsonb output does too.
void write_json_string(std::string& out, std::string_view text);
void write_json_value(std::string& out, simdjson::dom::element value, const StringReplacements* replace = nullptr);

// Writes the keys of one object, each as it is or as its replacement; a replacement that would
// repeat a key of the object (or an earlier replacement) gets "#2", "#3"... appended, so the
// object keeps one value per key.
class ObjectKeyWriter {
  public:
    explicit ObjectKeyWriter(simdjson::dom::object object) : object_(object) {}
    void write(std::string& out, std::string_view key, const StringReplacements* replace);

  private:
    simdjson::dom::object object_;
    bool filled_ = false;
    std::unordered_set<std::string> taken_;  // the object's keys and the replacements written
};

}  // namespace asg
