#pragma once
// report.html: one self-contained page (no external files, scripts or fonts) with a run's summary
// table and every figure as inline SVG.
#include <string>
#include <utility>
#include <vector>

#include "qspectra/plot/kinds.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::plot {

// `notes`: lines shown under the title (model, backend...). Figure ids are made unique per figure, so
// the inline SVGs do not share clip paths.
std::string report_html(const std::string& title, const std::vector<std::string>& notes,
                        const report::Table& summary, const std::vector<NamedFigure>& figures);

// What a --plot run writes: <out_dir>/plots/<figure file> for every figure and <out_dir>/report.html,
// appended to `files` (paths only: nothing is written or created here; the run's commit makes plots/).
void add_plot_files(std::vector<std::pair<std::string, std::string>>& files, const std::string& out_dir,
                    const std::string& title, const std::vector<std::string>& notes,
                    const report::Table& summary, const std::vector<NamedFigure>& figures);

}  // namespace qspectra::plot
