#include "ww_summary.hpp"

#include "qspectra/report/schema.hpp"

namespace qspectra::app {

nlohmann::ordered_json ww_summary_document(const metrics::Summary& s, nlohmann::ordered_json meta) {
  return {{"summary", report::summary_means_json(s)},
          {"counts", report::summary_counts_json(s)},
          {"left_out_of_means", report::left_out_of_means_json(s)},
          {"infinite_in_means", report::infinite_in_means_json(s)},
          {"meta", std::move(meta)}};
}

}  // namespace qspectra::app
