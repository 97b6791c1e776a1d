#pragma once
// Shared helpers of the metrics suites: compare a computed LayerMetrics with a row of a reference
// ww_layers.csv (METRICS.md §8 columns) within stated tolerances.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "../common/reference_csv.hpp"
#include "qspectra/core/spectrum.hpp"
#include "qspectra/metrics/layer_metrics.hpp"

namespace qspectra::testing {

// METRICS.md §12.1: the eigenvalues of layers.4.tiny (10x10), worked through by hand there.
inline const std::vector<double> kTiny = {0.00023941497955779625, 0.005356796900800716, 0.00833488894148169,
                                          0.0336402048888802,     0.12187359834803595,  0.17191892304714843,
                                          0.48806231263739885,    0.5830058342657884,   0.7344795280391019,
                                          1.2323638180564431};

inline std::string ref_dir(const std::string& fixture) {
  return std::string(QSPECTRA_TEST_DATA_DIR) + "/reference/" + fixture;
}

// Relative closeness with NaN == NaN and equal infinities; `abs_floor` covers reference values of 0.
inline ::testing::AssertionResult close(double got, double want, double rel, double abs_floor = 1e-14) {
  if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
  if (std::isinf(want) || std::isinf(got)) {
    if (got == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", want " << want;
  }
  if (std::isnan(want) != std::isnan(got))
    return ::testing::AssertionFailure() << "got " << got << ", want " << want;
  const double err = std::fabs(got - want);
  if (err <= rel * std::fabs(want) || err <= abs_floor) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::setprecision(17) << "got " << got << ", want " << want
                                       << " (rel err " << err / std::fabs(want) << " > " << rel << ")";
}

struct CompareOptions {
  double rel = 1e-9;
  // Columns computed from noise-level eigenvalues (sv_min, rank_loss, matrix_rank, entropy,
  // weak_rank_loss): exact only when the eigenvalues are the reference's own (evals.csv). With a
  // different LAPACK (OpenBLAS instead of netlib) or the Gram method they may differ on rank-deficient
  // layers, where those eigenvalues are round-off; then they are only checked on full-rank layers.
  bool noise_columns_exact = true;
  bool check_spectrum_facts = true;  // sv_max/sv_min/rank_loss (false when they were copied from the row)
};

// The reference says the layer's smallest eigenvalues are round-off (rank-deficient).
inline bool noise_level_layer(const CsvRow& ref) {
  return ref.integer("rank_loss") > 0 || ref.integer("weak_rank_loss") > 0 || ref.str("status") == "failed" ||
         ref.num("sv_min") < 1e-6 * ref.num("sv_max");
}

inline void expect_matches(const metrics::LayerMetrics& got, const CsvRow& ref, const CompareOptions& o) {
  const std::string name = ref.str("name");
  SCOPED_TRACE("layer " + name);
  const double rel = o.rel;
  // exact
  EXPECT_EQ(got.num_evals, ref.integer("num_evals"));
  EXPECT_EQ(got.N, ref.integer("N"));
  EXPECT_EQ(got.M, ref.integer("M"));
  EXPECT_EQ(got.rf, ref.integer("rf"));
  EXPECT_EQ(got.fit.num_pl_spikes, ref.integer("num_pl_spikes"));
  EXPECT_EQ(got.fit.status, ref.str("status"));
  EXPECT_EQ(got.fit.warning, ref.str("warning"));
  EXPECT_TRUE(close(got.Q, ref.num("Q"), 1e-15));
  // the fit
  EXPECT_TRUE(close(got.fit.alpha, ref.num("alpha"), rel)) << "alpha";
  EXPECT_TRUE(close(got.fit.D, ref.num("D"), rel)) << "D";
  EXPECT_TRUE(close(got.fit.sigma, ref.num("sigma"), rel)) << "sigma";
  EXPECT_TRUE(close(got.fit.xmin, ref.num("xmin"), rel)) << "xmin";
  EXPECT_TRUE(close(got.fit.xmax, ref.num("xmax"), rel)) << "xmax";
  // §4 / §6
  EXPECT_TRUE(close(got.lambda_max, ref.num("lambda_max"), rel)) << "lambda_max";
  EXPECT_TRUE(close(got.norm, ref.num("norm"), rel)) << "norm";
  EXPECT_TRUE(close(got.log_norm, ref.num("log_norm"), rel)) << "log_norm";
  EXPECT_TRUE(close(got.spectral_norm, ref.num("spectral_norm"), rel)) << "spectral_norm";
  EXPECT_TRUE(close(got.log_spectral_norm, ref.num("log_spectral_norm"), rel)) << "log_spectral_norm";
  EXPECT_TRUE(close(got.alpha_weighted, ref.num("alpha_weighted"), rel)) << "alpha_weighted";
  EXPECT_TRUE(close(got.stable_rank, ref.num("stable_rank"), rel)) << "stable_rank";
  const bool noise = noise_level_layer(ref);
  // log_alpha_norm = log10(sum lambda^alpha): with alpha = -1 (failed fit) it is dominated by the
  // noise-level eigenvalues, so it is a noise column on failed layers.
  if (o.noise_columns_exact || ref.str("status") != "failed")
    EXPECT_TRUE(close(got.log_alpha_norm, ref.num("log_alpha_norm"), rel)) << "log_alpha_norm";
  if (o.check_spectrum_facts) EXPECT_TRUE(close(got.sv_max, ref.num("sv_max"), rel)) << "sv_max";
  if (o.noise_columns_exact || !noise) {
    EXPECT_EQ(got.matrix_rank, ref.integer("matrix_rank"));
    EXPECT_EQ(got.weak_rank_loss, ref.integer("weak_rank_loss"));
    EXPECT_TRUE(close(got.entropy, ref.num("entropy"), rel)) << "entropy";
    if (o.check_spectrum_facts) {
      EXPECT_TRUE(close(got.sv_min, ref.num("sv_min"), rel)) << "sv_min";
      EXPECT_EQ(got.rank_loss, ref.integer("rank_loss"));
    }
  }
}

}  // namespace qspectra::testing
