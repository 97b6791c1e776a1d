#pragma once
// A rectangular table of typed cells: the one in-memory form behind every CSV, JSON table and
// printed table, so that formatting rules (17 significant digits, inf/-inf/nan) live in one place.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace qspectra::report {

using Cell = std::variant<std::monostate, int64_t, double, std::string, bool>;

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  std::size_t column_index(const std::string& name) const;  // throws InternalError if absent
};

// 17 significant digits (round-trips a double), "inf", "-inf", "nan"; integers without exponent.
std::string format_number(double v);
// How a cell is written in CSV: empty for monostate, True/False for bools (as pandas writes them).
std::string format_cell(const Cell& c);

}  // namespace qspectra::report
