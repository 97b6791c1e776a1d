#include "qspectra/report/text_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qspectra::report {
namespace {

std::string short_number(double v, int precision) {
  if (!std::isfinite(v)) return format_number(v);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::string render(const Cell& c, const TextTableOptions& o) {
  if (auto d = std::get_if<double>(&c)) return short_number(*d, o.precision);
  if (std::holds_alternative<std::monostate>(c)) return "-";
  return format_cell(c);
}

}  // namespace

std::string to_text_table(const Table& table, const TextTableOptions& options) {
  const std::size_t ncol = table.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(table.rows.size());
  std::vector<std::size_t> width(ncol);
  for (std::size_t i = 0; i < ncol; ++i) width[i] = table.columns[i].size();
  for (const auto& row : table.rows) {
    std::vector<std::string> r;
    for (std::size_t i = 0; i < ncol; ++i) {
      std::string s = i < row.size() ? render(row[i], options) : "";
      if (s.size() > options.max_name_width)  // keep the informative tail of long layer names
        s = "..." + s.substr(s.size() - options.max_name_width + 3);
      width[i] = std::max(width[i], s.size());
      r.push_back(std::move(s));
    }
    cells.push_back(std::move(r));
  }
  auto is_numeric_col = [&](std::size_t i) {
    for (const auto& row : table.rows)
      if (i < row.size() && (std::holds_alternative<double>(row[i]) || std::holds_alternative<int64_t>(row[i])))
        return true;
    return false;
  };
  std::vector<bool> right(ncol);
  for (std::size_t i = 0; i < ncol; ++i) right[i] = is_numeric_col(i);

  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (std::size_t i = 0; i < ncol; ++i) {
      if (i) out += "  ";
      const std::string& s = r[i];
      std::string pad(width[i] - std::min(width[i], s.size()), ' ');
      out += right[i] ? pad + s : (i + 1 == ncol ? s : s + pad);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(table.columns);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  for (const auto& r : cells) out += line(r);
  return out;
}

}  // namespace qspectra::report
