#pragma once
// Header-only reader for the reference CSV files under tests/data/reference (ww_layers.csv, evals.csv,
// fit_trace.csv, hill.csv, ...). Rows are maps column -> string; num() parses doubles including
// "inf", "-inf", "nan" and the empty string (NaN). Double-quoted fields ("a,b", "" escapes) are handled.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace qspectra::testing {

class CsvRow {
public:
  CsvRow() = default;
  explicit CsvRow(std::map<std::string, std::string> cells) : cells_(std::move(cells)) {}

  bool has(const std::string& col) const { return cells_.count(col) != 0; }
  const std::string& str(const std::string& col) const {
    auto it = cells_.find(col);
    if (it == cells_.end()) throw std::out_of_range("CSV column not found: " + col);
    return it->second;
  }
  // Numeric value: "inf"/"-inf"/"nan"/"" (any case, also "Infinity", "None") are understood.
  double num(const std::string& col) const { return parse_double(str(col)); }
  int64_t integer(const std::string& col) const {
    const double v = num(col);
    if (!std::isfinite(v)) throw std::runtime_error("CSV column " + col + " is not an integer: " + str(col));
    return static_cast<int64_t>(std::llround(v));
  }
  const std::map<std::string, std::string>& cells() const { return cells_; }

  static double parse_double(const std::string& raw) {
    std::string s;
    for (char c : raw)
      if (c != ' ' && c != '\t' && c != '\r') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (s.empty() || s == "nan" || s == "-nan" || s == "none" || s == "null") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf" || s == "+inf" || s == "infinity") return inf;
    if (s == "-inf" || s == "-infinity") return -inf;
    if (s == "true") return 1;
    if (s == "false") return 0;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') throw std::runtime_error("not a number: '" + raw + "'");
    return v;
  }

private:
  std::map<std::string, std::string> cells_;
};

struct CsvTable {
  std::vector<std::string> columns;
  std::vector<CsvRow> rows;

  // Rows whose `col` equals `value`, in file order.
  std::vector<const CsvRow*> where(const std::string& col, const std::string& value) const {
    std::vector<const CsvRow*> out;
    for (const auto& r : rows)
      if (r.str(col) == value) out.push_back(&r);
    return out;
  }
  // The single row whose `col` equals `value` (throws if none or several).
  const CsvRow& find(const std::string& col, const std::string& value) const {
    auto rs = where(col, value);
    if (rs.size() != 1)
      throw std::runtime_error("expected one row with " + col + "=" + value + ", found " + std::to_string(rs.size()));
    return *rs.front();
  }
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

inline CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  CsvTable t;
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("empty CSV: " + path);
  t.columns = split_csv_line(line);
  while (std::getline(in, line)) {
    if (line.empty() || line == "\r") continue;
    auto cells = split_csv_line(line);
    if (cells.size() != t.columns.size())
      throw std::runtime_error(path + ": row with " + std::to_string(cells.size()) + " cells, header has " +
                               std::to_string(t.columns.size()));
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < cells.size(); ++i) m[t.columns[i]] = cells[i];
    t.rows.emplace_back(std::move(m));
  }
  return t;
}

// evals.csv: layer name -> its eigenvalues in file order (ascending).
inline std::map<std::string, std::vector<double>> read_evals_csv(const std::string& path) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& r : read_csv(path).rows) out[r.str("name")].push_back(r.num("eval"));
  return out;
}

}  // namespace qspectra::testing
