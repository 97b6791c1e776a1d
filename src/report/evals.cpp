#include "qspectra/report/evals.hpp"

#include <cstdio>

#include "qspectra/report/csv.hpp"
#include "qspectra/report/schema.hpp"

namespace qspectra::report {
namespace {

void append_rows(std::string& out, const std::string& prefix, const std::vector<double>& evals) {
  char buf[40];
  for (double v : evals) {
    const int n = std::snprintf(buf, sizeof buf, "%.17g", v);
    out += prefix;
    out.append(buf, static_cast<std::size_t>(n));
    out += '\n';
  }
}

}  // namespace

std::string evals_csv(const std::vector<pipeline::LayerResult>& layers) {
  std::string out = csv_header(evals_columns());
  for (const auto& l : layers) append_rows(out, csv_text_cell(l.info.name) + ",", l.evals);
  return out;
}

std::string sweep_evals_csv(const pipeline::SweepResult& r) {
  std::string out = csv_header(sweep_evals_columns());
  for (const auto& row : r.layers)
    for (std::size_t v = 0; v < row.size() && v < r.variants.size(); ++v)
      append_rows(out, csv_text_cell(row[v].info.name) + "," + csv_text_cell(r.variants[v]) + ",", row[v].evals);
  return out;
}

}  // namespace qspectra::report
