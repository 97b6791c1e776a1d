#pragma once
// A readable fixed-width rendering of a Table for the terminal.
#include <string>
#include <vector>

#include "qspectra/report/table.hpp"

namespace qspectra::report {

struct TextTableOptions {
  int precision = 4;               // significant digits for doubles
  std::size_t max_name_width = 48; // long names are shortened from the left ("...layers.3.mlp.up_proj")
};

std::string to_text_table(const Table& table, const TextTableOptions& options = {});

}  // namespace qspectra::report
