#pragma once
// ww_summary.json's document, shared by ww-analyze and qspectra-merge (which rebuilds it from shards).
#include <nlohmann/json.hpp>

#include "qspectra/metrics/summary.hpp"

namespace qspectra::app {

// {"summary", "counts", "left_out_of_means", "infinite_in_means", "meta"}, as ww_summary.json holds them.
nlohmann::ordered_json ww_summary_document(const metrics::Summary& s, nlohmann::ordered_json meta);

}  // namespace qspectra::app
