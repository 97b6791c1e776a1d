#pragma once
// RFC 4180 CSV (quotes only where needed), loadable by pandas.read_csv.
#include <string>
#include <vector>

#include "qspectra/report/table.hpp"

namespace qspectra::report {

// Text cells (layer and tensor names come from the model file) that a spreadsheet would run as a
// formula - starting with = + - @, tab or CR, and not a number - get a leading apostrophe
// ("'=cmd|..."), which spreadsheets show as text and pandas keeps. Number cells are never changed.
std::string to_csv(const Table& table);

// `text` as it is written in a CSV text cell (see to_csv): the apostrophe prefix where needed.
std::string neutralise_formula(const std::string& text);
// A text cell as to_csv writes it: neutralised, then quoted where needed.
std::string csv_text_cell(const std::string& text);
// The header line (with its newline) as to_csv writes it, for writers that stream rows themselves.
std::string csv_header(const std::vector<std::string>& columns);
// A single CSV field, quoted when it holds a comma, quote, CR or LF.
std::string csv_escape(const std::string& field);

}  // namespace qspectra::report
