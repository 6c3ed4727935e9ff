// Validation of tool arguments against the JSON Schema subset our tools declare.
#pragma once
#include <jansson.h>

#include <string>

namespace asg {

// Returns "" when instance conforms, else a message naming the offending field.
// Supported keywords: type, properties, required, additionalProperties (boolean), enum,
// minLength, maxLength, pattern, minimum, maximum, items, minItems, maxItems.
std::string validate_against_schema(const json_t* schema, const json_t* instance,
                                    const std::string& path);

}  // namespace asg
