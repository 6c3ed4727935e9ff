// Human tables and --json output for the asgard command.
#pragma once
#include <string>
#include <vector>

#include "util/json_ptr.hpp"

namespace asg::cli {

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);
void print_json(const json_t* value);

}  // namespace asg::cli
