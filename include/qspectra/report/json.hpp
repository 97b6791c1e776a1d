#pragma once
// JSON helpers. Output is strict RFC 8259: a non-finite number (inf, -inf, nan) is written null,
// never as a string; the CSV files keep inf/-inf/nan, which pandas reads.
#include <nlohmann/json.hpp>

#include "qspectra/report/table.hpp"

namespace qspectra::report {

nlohmann::ordered_json number_json(double v);
nlohmann::ordered_json cell_json(const Cell& c);
// An array of objects, one per row, keys = column names.
nlohmann::ordered_json table_json(const Table& table);

}  // namespace qspectra::report
