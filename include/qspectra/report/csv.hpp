#pragma once
// RFC 4180 CSV (quotes only where needed), loadable by pandas.read_csv.
#include <string>

#include "qspectra/report/table.hpp"

namespace qspectra::report {

std::string to_csv(const Table& table);
// A single CSV field, quoted when it holds a comma, quote, CR or LF.
std::string csv_escape(const std::string& field);

}  // namespace qspectra::report
