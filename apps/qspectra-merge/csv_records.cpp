#include "csv_records.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "qspectra/core/error.hpp"

namespace qspectra::app::merge {
namespace {

// Splits `text` into records (each ending at a newline outside quotes) and their cells.
void split(const std::string& path, const std::string& text, std::vector<std::string>& records,
           std::vector<std::vector<std::string>>& cells) {
  std::string record, cell;
  std::vector<std::string> row;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    record += ch;
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        record += text[++i];
      } else if (ch == '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      row.push_back(std::move(cell));
      cell.clear();
    } else if (ch == '\n') {
      if (!cell.empty() && cell.back() == '\r') cell.pop_back();
      row.push_back(std::move(cell));
      cell.clear();
      records.push_back(std::move(record));
      cells.push_back(std::move(row));
      record.clear();
      row.clear();
    } else {
      cell += ch;
    }
  }
  if (quoted) throw InputError(path, "unterminated quoted cell");
  if (!record.empty()) throw InputError(path, "last record has no newline (truncated file?)");
}

}  // namespace

std::size_t CsvFile::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) throw InputError(path, "no '" + name + "' column");
  return static_cast<std::size_t>(it - columns.begin());
}

bool CsvFile::has_column(const std::string& name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

CsvFile read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  CsvFile f;
  f.path = path;
  std::vector<std::string> records;
  std::vector<std::vector<std::string>> cells;
  split(path, ss.str(), records, cells);
  if (records.empty()) throw InputError(path, "empty CSV file (no header)");
  f.header = records.front();
  f.columns = cells.front();
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (cells[i].size() != f.columns.size())
      throw InputError(path, "record " + std::to_string(i) + " has " + std::to_string(cells[i].size()) +
                                 " cells, the header " + std::to_string(f.columns.size()));
    f.records.push_back(std::move(records[i]));
    f.cells.push_back(std::move(cells[i]));
  }
  return f;
}

double cell_number(const CsvFile& f, std::size_t row, std::size_t col) {
  const std::string& s = f.cells.at(row).at(col);
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size())
    throw InputError(f.path, "column '" + f.columns.at(col) + "': '" + s + "' is not a number");
  return v;
}

}  // namespace qspectra::app::merge
