#pragma once
// JSON helpers: non-finite numbers are written as the strings "inf", "-inf", "nan" (as the reference
// ww_summary.json does), never as null.
#include <nlohmann/json.hpp>

#include "qspectra/report/table.hpp"

namespace qspectra::report {

nlohmann::ordered_json number_json(double v);
nlohmann::ordered_json cell_json(const Cell& c);
// An array of objects, one per row, keys = column names.
nlohmann::ordered_json table_json(const Table& table);

}  // namespace qspectra::report
