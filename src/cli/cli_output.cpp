// Column-aligned tables and pretty JSON on stdout.
#include "cli/cli_output.hpp"

#include <cstdio>
#include <cstdlib>

namespace asg::cli {

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) width[c] = headers[c].size();
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c) {
            out += cells[c];
            if (c + 1 < cells.size()) out += std::string(width[c] - cells[c].size() + 2, ' ');
        }
        std::printf("%s\n", out.c_str());
    };
    line(headers);
    for (const auto& row : rows) line(row);
}

void print_json(const json_t* value) {
    char* text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (text) {
        std::printf("%s\n", text);
        std::free(text);
    }
}

}  // namespace asg::cli
