#include "qspectra/report/csv.hpp"

#include <cerrno>
#include <cstdlib>

namespace qspectra::report {

std::string neutralise_formula(const std::string& text) {
  if (text.empty() || std::string_view("=+-@\t\r").find(text[0]) == std::string_view::npos) return text;
  char* end = nullptr;
  errno = 0;
  std::strtod(text.c_str(), &end);
  if (end == text.c_str() + text.size()) return text;  // "-1.5", "-inf": a number, not a formula
  return "'" + text;
}

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_text_cell(const std::string& text) { return csv_escape(neutralise_formula(text)); }

std::string csv_header(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += csv_escape(columns[i]);
  }
  return out + '\n';
}

std::string to_csv(const Table& table) {
  std::string out = csv_header(table.columns);
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      const std::string cell = format_cell(row[i]);
      out += std::holds_alternative<std::string>(row[i]) ? csv_text_cell(cell) : csv_escape(cell);
    }
    out += '\n';
  }
  return out;
}

}  // namespace qspectra::report
