// Writes JSON text from simdjson DOM values: compact, strings escaped, chosen strings replaced
// (a guardrail's redaction) without copying the document.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>

#include <simdjson.h>

namespace asg {

// Replacement texts keyed by the address of the DOM string they replace (string_view::data()).
using StringReplacements = std::unordered_map<const char*, std::string>;

// Escapes '"', '\\' and control characters only (short forms where JSON has them, else \u00xx),
// as PostgreSQL's jsonb output does too.
void write_json_string(std::string& out, std::string_view text);
void write_json_value(std::string& out, simdjson::dom::element value, const StringReplacements* replace = nullptr);

}  // namespace asg
