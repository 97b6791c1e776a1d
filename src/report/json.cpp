#include "qspectra/report/json.hpp"

#include <cmath>

namespace qspectra::report {

nlohmann::ordered_json number_json(double v) {
  if (!std::isfinite(v)) return nullptr;  // RFC 8259 has no inf/nan
  return v;
}

nlohmann::ordered_json cell_json(const Cell& c) {
  struct Visitor {
    nlohmann::ordered_json operator()(std::monostate) const { return nullptr; }
    nlohmann::ordered_json operator()(int64_t v) const { return v; }
    nlohmann::ordered_json operator()(double v) const { return number_json(v); }
    nlohmann::ordered_json operator()(const std::string& v) const { return v; }
    nlohmann::ordered_json operator()(bool v) const { return v; }
  };
  return std::visit(Visitor{}, c);
}

nlohmann::ordered_json table_json(const Table& table) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < row.size() && i < table.columns.size(); ++i)
      obj[table.columns[i]] = cell_json(row[i]);
    rows.push_back(std::move(obj));
  }
  return rows;
}

}  // namespace qspectra::report
