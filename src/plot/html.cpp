#include "qspectra/plot/html.hpp"

#include <cmath>

#include <fmt/format.h>

#include "qspectra/plot/svg.hpp"

namespace qspectra::plot {
namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string html_cell(const report::Cell& c) {
  if (const auto* d = std::get_if<double>(&c)) {
    if (std::isfinite(*d)) return fmt::format("{:.4g}", *d);
  }
  return xml_escape(report::format_cell(c));
}

// The SVG without its XML declaration, ids prefixed with `prefix`.
std::string inline_svg(const std::string& svg, const std::string& prefix) {
  std::string s = svg;
  if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
  s = replace_all(s, "id=\"", "id=\"" + prefix);
  s = replace_all(s, "url(#", "url(#" + prefix);
  return s;
}

}  // namespace

std::string report_html(const std::string& title, const std::vector<std::string>& notes,
                        const report::Table& summary, const std::vector<NamedFigure>& figures) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>" + xml_escape(title) + "</title>\n";
  h += "<style>\n"
       "body{font-family:" + std::string(kFontFamily) + ";color:#222;margin:24px auto;max-width:1320px;padding:0 16px}\n"
       "h1{font-size:20px} h2{font-size:16px;margin-top:28px}\n"
       "p.note{color:#555;margin:2px 0;font-size:13px;white-space:pre-line}\n"
       "table{border-collapse:collapse;font-size:12px;margin:8px 0}\n"
       "th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right;white-space:nowrap}\n"
       "th{background:#f4f4f4;position:sticky;top:0} td:first-child,th:first-child{text-align:left}\n"
       ".wrap{max-height:480px;overflow:auto;border:1px solid #eee}\n"
       ".figs{display:flex;flex-wrap:wrap;gap:12px}\n"
       "figure{margin:0;border:1px solid #eee} figcaption{font-size:12px;color:#666;padding:2px 6px}\n"
       "</style>\n</head>\n<body>\n";
  h += "<h1>" + xml_escape(title) + "</h1>\n";
  for (const auto& n : notes) h += "<p class=\"note\">" + xml_escape(n) + "</p>\n";
  h += "<h2>Summary</h2>\n<div class=\"wrap\"><table>\n<thead><tr>";
  for (const auto& c : summary.columns) h += "<th>" + xml_escape(c) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (const auto& row : summary.rows) {
    h += "<tr>";
    for (const auto& cell : row) h += "<td>" + html_cell(cell) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody></table></div>\n<h2>Figures</h2>\n<div class=\"figs\">\n";
  for (std::size_t i = 0; i < figures.size(); ++i) {
    h += "<figure id=\"" + xml_escape(figures[i].file) + "\">\n";
    h += inline_svg(figures[i].svg, fmt::format("f{}_", i));
    h += "<figcaption>plots/" + xml_escape(figures[i].file) + "</figcaption>\n</figure>\n";
  }
  h += "</div>\n</body>\n</html>\n";
  return h;
}

void add_plot_files(std::vector<std::pair<std::string, std::string>>& files, const std::string& out_dir,
                    const std::string& title, const std::vector<std::string>& notes,
                    const report::Table& summary, const std::vector<NamedFigure>& figures) {
  const std::string dir = out_dir + "/plots";
  for (const auto& f : figures) files.emplace_back(dir + "/" + f.file, f.svg);
  files.emplace_back(out_dir + "/report.html", report_html(title, notes, summary, figures));
}

}  // namespace qspectra::plot
