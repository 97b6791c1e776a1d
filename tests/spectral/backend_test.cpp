#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "../common/reference_csv.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/spectral/backend.hpp"
#include "weights_reference.hpp"

using namespace qspectra;
using namespace qspectra::spectral;

namespace {

Eigen::MatrixXd random_matrix(Eigen::Index r, Eigen::Index c, uint64_t seed, double decay = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0, 0.02);
  Eigen::MatrixXd W(r, c);
  for (Eigen::Index j = 0; j < c; ++j)
    for (Eigen::Index i = 0; i < r; ++i)
      W(i, j) = static_cast<double>(static_cast<float>(nd(rng) * std::pow(1.0 + static_cast<double>(j), -decay)));
  return W;
}

TEST(Backend, NamesAndUnknown) {
  const auto names = backend_names();
  EXPECT_EQ(names.front(), "auto");
  for (const auto& n : names) EXPECT_EQ(make_backend(n)->name(), n);
  EXPECT_THROW(make_backend("qr"), UsageError);
  try {
    make_backend("qr");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("svd"), std::string::npos);  // lists the known names
  }
}

// All methods agree on random matrices of several shapes (tall, wide, square, tiny).
TEST(Backend, MethodsAgreeOnRandomMatrices) {
  const std::pair<int, int> shapes[] = {{50, 30}, {30, 50}, {128, 128}, {10, 10}, {1, 7}, {300, 64}};
  const auto svd = make_backend("svd");
  uint64_t seed = 1;
  for (auto [r, c] : shapes) {
    const auto W = random_matrix(r, c, seed++, 0.3);
    const auto ref = svd->squared_singular_values(W);
    ASSERT_EQ(ref.evals.size(), std::min(r, c));
    EXPECT_TRUE(std::is_sorted(ref.evals.data(), ref.evals.data() + ref.evals.size()));
    const double lmax = ref.evals.maxCoeff();
    for (const char* m : {"gram", "eigen", "auto"}) {
      const auto got = make_backend(m)->squared_singular_values(W);
      ASSERT_EQ(got.evals.size(), ref.evals.size()) << m;
      for (Eigen::Index i = 0; i < ref.evals.size(); ++i) {
        // eigen: backward stable SVD, relative accuracy; gram: absolute accuracy ~ eps * lambda_max
        const double tol = std::string(m) == "eigen" ? 1e-12 * ref.evals[i] + 1e-15 * lmax : 1e-13 * lmax;
        EXPECT_NEAR(got.evals[i], ref.evals[i], tol) << m << " " << r << "x" << c << " i=" << i;
      }
    }
  }
}

TEST(Backend, AutoFallsBackOnRankDeficient) {
  const auto A = random_matrix(80, 20, 7), B = random_matrix(20, 60, 8);
  const Eigen::MatrixXd W = A * B;  // 80x60, rank 20
  const auto r = make_backend("auto")->squared_singular_values(W);
  EXPECT_EQ(r.method, "gram->svd");
  const auto s = make_backend("svd")->squared_singular_values(W);
  EXPECT_EQ((r.evals - s.evals).cwiseAbs().maxCoeff(), 0.0);
  const auto full = make_backend("auto")->squared_singular_values(random_matrix(80, 60, 9));
  EXPECT_EQ(full.method, "gram");
  EXPECT_EQ(make_backend("auto")->squared_singular_values(Eigen::MatrixXd::Zero(16, 16)).method, "gram->svd");
  // gram never returns negative eigenvalues
  const auto g = make_backend("gram")->squared_singular_values(W);
  EXPECT_GE(g.evals.minCoeff(), 0.0);
  EXPECT_FALSE(gram_resolves(g.evals));
}

TEST(Backend, RejectsNonFinite) {
  Eigen::MatrixXd W = random_matrix(12, 12, 3);
  W(3, 4) = std::nan("");
  for (const auto& n : backend_names()) EXPECT_THROW(make_backend(n)->squared_singular_values(W), InputError) << n;
}

TEST(Backend, ThreadSafe) {
  set_blas_threads(1);
  const auto W = random_matrix(200, 120, 11, 0.2);
  for (const auto& n : backend_names()) {
    const auto b = make_backend(n);
    const auto want = b->squared_singular_values(W).evals;
    std::vector<Eigen::VectorXd> got(4);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) ts.emplace_back([&, t] { got[t] = b->squared_singular_values(W).evals; });
    for (auto& t : ts) t.join();
    for (const auto& g : got) EXPECT_EQ((g - want).cwiseAbs().maxCoeff(), 0.0) << n;
  }
}

TEST(LayerMatrices, DenseAsStored) {
  TensorData t{{2, 3}, {1, 2, 3, 4, 5, 6}};
  const auto m = layer_matrices(t, false);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].rows(), 2);
  EXPECT_EQ(m[0].cols(), 3);
  EXPECT_EQ(m[0](1, 0), 4);
  EXPECT_EQ(m[0](0, 2), 3);
  EXPECT_THROW(layer_matrices(TensorData{{2, 3, 1}, {1, 2, 3, 4, 5, 6}}, false), InternalError);
  EXPECT_THROW(layer_matrices(TensorData{{2, 3}, {1, 2, 3}}, false), InternalError);
}

TEST(LayerMatrices, Conv2dSlicesScaled) {
  TensorData t;
  t.shape = {3, 2, 2, 2};  // out, in, kh, kw
  for (int i = 0; i < 24; ++i) t.values.push_back(i + 1);
  const auto m = layer_matrices(t, true);
  ASSERT_EQ(m.size(), 4u);
  const float s = static_cast<float>(std::sqrt(0.5));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const auto& W = m[static_cast<std::size_t>(i * 2 + j)];
      ASSERT_EQ(W.rows(), 3);
      ASSERT_EQ(W.cols(), 2);
      for (int o = 0; o < 3; ++o)
        for (int c = 0; c < 2; ++c)
          EXPECT_EQ(W(o, c), static_cast<double>(static_cast<float>(t.values[((o * 2 + c) * 2 + i) * 2 + j]) * s));
    }
}

TEST(LayerSpectrum, PoolsSlicesWithWWQuirks) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(4, 3), b = Eigen::MatrixXd::Zero(4, 3);
  a.diagonal() << 3, 2, 1;
  b.diagonal() << 5, 0.5, 0;
  const auto s = compute_layer_spectrum({a, b}, 4, *make_backend("svd"));
  EXPECT_EQ(s.rf, 2);
  EXPECT_EQ(s.M, 3);
  ASSERT_EQ(s.evals.size(), 6u);
  EXPECT_TRUE(std::is_sorted(s.evals.begin(), s.evals.end()));
  EXPECT_DOUBLE_EQ(s.sv_max, 5);
  EXPECT_DOUBLE_EQ(s.sv_min, 1);  // max over slices of the slice minimum (1 vs 0)
  EXPECT_EQ(s.rank_loss, 1);      // the exact zero of slice b
  EXPECT_EQ(s.method, "svd");
}

// Weights -> eigenvalues against evals.csv, for every method. Reference: netlib dgesdd; here OpenBLAS
// (svd), Eigen's BDCSVD (eigen) or the Gram matrix (gram), so the comparison is relative to the
// layer's lambda_max for noise-level eigenvalues and relative to the value itself above 1e-6 lambda_max.
struct MethodCase {
  std::string method;
  double rel;  // per eigenvalue, for eigenvalues >= 1e-6 * lambda_max
  double abs;  // in units of lambda_max, for all eigenvalues
};

class WeightsToEvals : public ::testing::TestWithParam<MethodCase> {};

TEST_P(WeightsToEvals, MatchReference) {
  const auto& mc = GetParam();
  const auto backend = make_backend(mc.method);
  for (const auto& fx : qspectra::testing::weight_fixtures()) {
    SCOPED_TRACE(fx.name + " / " + mc.method);
    const auto table = qspectra::testing::read_csv(std::string(QSPECTRA_TEST_DATA_DIR) + "/reference/" + fx.name + "/ww_layers.csv");
    const auto ref = qspectra::testing::read_evals_csv(std::string(QSPECTRA_TEST_DATA_DIR) + "/reference/" + fx.name + "/evals.csv");
    const auto got = qspectra::testing::spectra_from_weights(fx.model_dir, table, *backend);
    ASSERT_EQ(got.size(), ref.size());
    double worst_rel = 0, worst_abs = 0;
    for (const auto& layer : got) {
      const auto& want = ref.at(layer.name);
      ASSERT_EQ(layer.spectrum.evals.size(), want.size()) << layer.name;
      const double lmax = want.back();
      for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = layer.spectrum.evals[i], w = want[i];
        const double a = std::fabs(g - w);
        worst_abs = std::max(worst_abs, lmax > 0 ? a / lmax : a);
        EXPECT_LE(a, mc.abs * lmax + 1e-300) << layer.name << " i=" << i;
        if (w >= 1e-6 * lmax && w > 0) {
          worst_rel = std::max(worst_rel, a / w);
          EXPECT_LE(a, mc.rel * w) << layer.name << " i=" << i << " got " << g << " want " << w;
        }
      }
      if (mc.method == "gram") EXPECT_EQ(layer.spectrum.method, "gram");
    }
    RecordProperty(fx.name + "_worst_rel", std::to_string(worst_rel));
    std::cout << "[ info ] " << fx.name << " " << mc.method << ": worst relative error (evals >= 1e-6 lmax) "
              << worst_rel << ", worst |err|/lambda_max " << worst_abs << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, WeightsToEvals,
                         ::testing::Values(MethodCase{"svd", 1e-11, 1e-14}, MethodCase{"eigen", 1e-11, 1e-14},
                                           MethodCase{"gram", 1e-9, 1e-13}, MethodCase{"auto", 1e-9, 1e-13}),
                         [](const ::testing::TestParamInfo<MethodCase>& i) { return i.param.method; });

}  // namespace
