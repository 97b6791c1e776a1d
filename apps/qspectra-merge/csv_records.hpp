#pragma once
// Just enough CSV reading for qspectra-merge: a file's header and records as written (so rows are
// copied byte for byte), and the cells of a record (RFC 4180 quoting, as report::to_csv writes).
#include <string>
#include <vector>

namespace qspectra::app::merge {

struct CsvFile {
  std::string path;
  std::string header;                 // the first line, with its newline
  std::vector<std::string> columns;
  std::vector<std::string> records;   // each with its newline, as written
  std::vector<std::vector<std::string>> cells;  // unquoted cells of each record
  // Index of `name` in columns; InputError naming the file when absent.
  std::size_t column(const std::string& name) const;
  bool has_column(const std::string& name) const;
};

// Reads and splits a CSV file; InputError (naming it) when it cannot be read or a record is malformed.
CsvFile read_csv(const std::string& path);

// A cell as a double: "%.17g" text, nan, inf, -inf; an empty cell is NaN.
double cell_number(const CsvFile& f, std::size_t row, std::size_t col);

}  // namespace qspectra::app::merge
