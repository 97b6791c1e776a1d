// LoRA / PEFT adapters: each lora_A/lora_B pair is one layer, the update dW = B·A, whose spectrum is
// computed from the factors; known answers from the dense product and from (B^T B)(A A^T).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include <Eigen/Eigenvalues>

#include "../io/safetensors_builder.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/pipeline/sweep.hpp"

namespace qspectra::pipeline {
namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A float32-valued random matrix (so that reading it back as float32 loses nothing).
RowMajor random_f32(Eigen::Index rows, Eigen::Index cols, unsigned seed, double sd = 1.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(0.0, sd);
  RowMajor m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(d(gen));
  return m;
}

test::StEntry f32_entry(const std::string& name, const RowMajor& m) {
  std::vector<float> v(m.data(), m.data() + m.size());
  return {name, "F32", {m.rows(), m.cols()}, test::le_bytes(v)};
}

struct LoraModule {
  std::string prefix;   // e.g. base_model.model.model.layers.0.self_attn.q_proj
  RowMajor A, B;        // [r, in], [out, r]
};

const std::string kQ = "base_model.model.model.layers.0.self_attn.q_proj";
const std::string kUp = "base_model.model.model.layers.0.mlp.up_proj";

std::vector<LoraModule> two_modules() {
  return {{kQ, random_f32(4, 48, 1), random_f32(32, 4, 2, 0.1)}, {kUp, random_f32(4, 32, 3), random_f32(64, 4, 4, 0.1)}};
}

void write_adapter(const test::TempDir& dir, const std::vector<LoraModule>& modules,
                   const std::string& config = R"({"r": 4, "lora_alpha": 16, "peft_type": "LORA"})") {
  std::vector<test::StEntry> entries;
  for (const auto& m : modules) {
    entries.push_back(f32_entry(m.prefix + ".lora_A.weight", m.A));
    entries.push_back(f32_entry(m.prefix + ".lora_B.weight", m.B));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  test::write_file(dir.path() / "adapter_model.safetensors", test::build_safetensors(entries));
  if (!config.empty()) test::write_file(dir.path() / "adapter_config.json", config);
}

// Squared singular values of a dense matrix, ascending (the reference for every LoRA layer).
std::vector<double> dense_evals(const Eigen::MatrixXd& W) {
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(W);
  std::vector<double> e;
  for (Eigen::Index i = 0; i < svd.singularValues().size(); ++i) e.push_back(svd.singularValues()[i] * svd.singularValues()[i]);
  std::sort(e.begin(), e.end());
  return e;
}

void expect_same_spectrum(const std::vector<double>& got, const std::vector<double>& want, std::size_t nonzero,
                          const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const double lmax = want.back();
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_LE(std::fabs(got[i] - want[i]), 1e-9 * lmax) << what << " index " << i;
  const auto positive = static_cast<std::size_t>(std::count_if(got.begin(), got.end(), [](double v) { return v > 0; }));
  EXPECT_EQ(positive, nonzero) << what << ": nonzero eigenvalues";
}

const LayerResult& layer_named(const AnalysisResult& r, const std::string& name) {
  for (const auto& l : r.layers)
    if (l.info.name == name) return l;
  ADD_FAILURE() << "no layer " << name;
  return r.layers.front();
}

TEST(LowRankProduct, NonzeroEigenvaluesAreThoseOfBtBAAt) {
  const auto backend = spectral::make_backend("svd");
  const std::vector<std::array<Eigen::Index, 3>> cases = {{32, 4, 48}, {64, 8, 16}, {40, 1, 40}};
  for (const auto& [out, r, in] : cases) {
    const Eigen::MatrixXd A = random_f32(r, in, 10 + static_cast<unsigned>(r));
    const Eigen::MatrixXd B = random_f32(out, r, 20 + static_cast<unsigned>(r));
    const LayerSpectrum s = spectral::compute_low_rank_product_spectrum(B, A, *backend);
    // The known answer: eigenvalues of the r x r matrix (B^T B)(A A^T) (real, positive: similar to a
    // symmetric positive definite matrix).
    Eigen::EigenSolver<Eigen::MatrixXd> es((B.transpose() * B) * (A * A.transpose()));
    std::vector<double> known;
    for (Eigen::Index i = 0; i < r; ++i) known.push_back(es.eigenvalues()[i].real());
    std::sort(known.begin(), known.end());
    const std::size_t m = static_cast<std::size_t>(std::min(out, in));
    ASSERT_EQ(s.evals.size(), m);
    for (std::size_t i = 0; i < m - static_cast<std::size_t>(r); ++i) EXPECT_EQ(s.evals[i], 0.0) << i;
    for (Eigen::Index i = 0; i < r; ++i)
      EXPECT_NEAR(s.evals[m - static_cast<std::size_t>(r) + static_cast<std::size_t>(i)], known[static_cast<std::size_t>(i)],
                  1e-10 * known.back());
    // ... and the dense product's spectrum, with the same facts (rank loss, sv_max, sv_min, N, M).
    const Eigen::MatrixXd W = B * A;
    const LayerSpectrum d = spectral::compute_layer_spectrum({W}, std::max(out, in), *backend);
    expect_same_spectrum(s.evals, d.evals, static_cast<std::size_t>(r), "factored vs dense");
    EXPECT_EQ(s.rank_loss, d.rank_loss);
    EXPECT_EQ(s.rank_loss, static_cast<int64_t>(m) - r);
    EXPECT_NEAR(s.sv_max, d.sv_max, 1e-12 * d.sv_max);
    EXPECT_EQ(s.sv_min, d.sv_min);
    EXPECT_EQ(s.N, d.N);
    EXPECT_EQ(s.M, d.M);
    EXPECT_EQ(s.method, "lowrank-qr+svd");
  }
}

TEST(LoraAdapter, PairsAnalysedAsTheProductNamedLoraBA) {
  test::TempDir dir;
  const auto mods = two_modules();
  write_adapter(dir, mods);
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.keep_evals = true;
  o.threads = 1;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].info.name, kUp + ".lora_BA");  // natural order: mlp before self_attn
  EXPECT_EQ(r.layers[1].info.name, kQ + ".lora_BA");
  for (const auto& m : mods) {
    const auto& l = layer_named(r, m.prefix + ".lora_BA");
    const Eigen::MatrixXd W = m.B * m.A;
    EXPECT_EQ(l.tensor_shape, std::to_string(W.rows()) + "x" + std::to_string(W.cols()));
    EXPECT_EQ(l.info.N, std::max(W.rows(), W.cols()));
    EXPECT_EQ(l.info.M, std::min(W.rows(), W.cols()));
    EXPECT_EQ(l.info.lora_rank, 4);
    EXPECT_EQ(l.metrics.num_evals, l.info.M);
    EXPECT_EQ(l.metrics.matrix_rank, 4);
    expect_same_spectrum(l.evals, dense_evals(W), 4, l.info.name);
    EXPECT_NEAR(l.metrics.lambda_max, dense_evals(W).back(), 1e-12 * dense_evals(W).back());
  }
  // The factors themselves are not layers: they are listed as ignored, with the layer they make.
  std::size_t factors = 0;
  for (const auto& s : r.selection.ignored) factors += s.find("LoRA factor, analysed as ") != std::string::npos;
  EXPECT_EQ(factors, 4u);
  // The run says what became of the pairs.
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.find("2 lora_A/lora_B pair(s)") != std::string::npos && n.find("2 analysed") != std::string::npos;
  })) << ::testing::PrintToString(r.notes);
}

TEST(LoraAdapter, ProgressCountsTheWorkOfLoraLayers) {
  // LoRA layers report progress like every layer: by work, so that the ETA holds (work_total > 0).
  test::TempDir dir;
  write_adapter(dir, two_modules());
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.threads = 1;
  std::vector<Progress> seen;
  analyze_model(model, o, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[0].work_total, 0);
  EXPECT_GT(seen[0].work_done, 0);
  EXPECT_DOUBLE_EQ(seen.back().work_done, seen.back().work_total);
}

TEST(LoraAdapter, LoraScaleMultipliesByAlphaOverR) {
  test::TempDir dir;
  const auto mods = two_modules();
  write_adapter(dir, mods);
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.keep_evals = true;
  const auto plain = analyze_model(model, o);
  o.lora_scale = true;
  const auto scaled = analyze_model(model, o);
  ASSERT_EQ(plain.layers.size(), scaled.layers.size());
  for (std::size_t i = 0; i < plain.layers.size(); ++i) {
    const auto& p = plain.layers[i].evals;
    const auto& s = scaled.layers[i].evals;
    ASSERT_EQ(p.size(), s.size());
    for (std::size_t k = 0; k < p.size(); ++k) EXPECT_NEAR(s[k], 16.0 * p[k], 1e-12 * 16.0 * p.back());  // (16/4)^2
  }
  EXPECT_TRUE(std::any_of(scaled.notes.begin(), scaled.notes.end(),
                          [](const std::string& n) { return n.find("--lora-scale: dW = 4 * B") != std::string::npos; }));
  // rsLoRA: lora_alpha / sqrt(r) = 8.
  test::TempDir rs;
  write_adapter(rs, mods, R"({"r": 4, "lora_alpha": 16, "use_rslora": true})");
  const auto rs_model = io::ModelDir::open(rs.str());
  const auto rs_scaled = analyze_model(rs_model, o);
  EXPECT_NEAR(rs_scaled.layers[0].evals.back(), 64.0 * plain.layers[0].evals.back(), 1e-12 * 64.0 * plain.layers[0].evals.back());
  // Without adapter_config.json --lora-scale has nothing to scale by: an input error, not a silent 1.
  test::TempDir none;
  write_adapter(none, mods, "");
  const auto none_model = io::ModelDir::open(none.str());
  EXPECT_THROW(analyze_model(none_model, o), InputError);
}

TEST(LoraAdapter, PeftBaseAddsTheMergedLayer) {
  test::TempDir dir, base_dir;
  const auto mods = two_modules();
  write_adapter(dir, mods);
  const RowMajor Wq = random_f32(32, 48, 7, 0.05), Wup = random_f32(64, 32, 8, 0.05);
  test::write_file(base_dir.path() / "model.safetensors",
                   test::build_safetensors({f32_entry("model.layers.0.mlp.up_proj.weight", Wup),
                                            f32_entry("model.layers.0.self_attn.q_proj.weight", Wq)}));
  const auto model = io::ModelDir::open(dir.str());
  const auto base = io::ModelDir::open(base_dir.str());
  AnalyzeOptions o;
  o.keep_evals = true;
  o.peft_base = &base;
  o.lora_scale = true;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 4u);
  const Eigen::MatrixXd merged_q = Eigen::MatrixXd(Wq) + 4.0 * Eigen::MatrixXd(mods[0].B * mods[0].A);
  const auto& lq = layer_named(r, kQ + ".lora_merged");
  expect_same_spectrum(lq.evals, dense_evals(merged_q), 32, lq.info.name);
  const Eigen::MatrixXd merged_up = Eigen::MatrixXd(Wup) + 4.0 * Eigen::MatrixXd(mods[1].B * mods[1].A);
  const auto& lu = layer_named(r, kUp + ".lora_merged");
  expect_same_spectrum(lu.evals, dense_evals(merged_up), 32, lu.info.name);
  // The update itself is still there, scaled.
  expect_same_spectrum(layer_named(r, kQ + ".lora_BA").evals, dense_evals(4.0 * Eigen::MatrixXd(mods[0].B * mods[0].A)), 4,
                       "q lora_BA");

  // A base model without the adapted module is an input error naming the keys tried.
  test::TempDir partial;
  test::write_file(partial.path() / "model.safetensors",
                   test::build_safetensors({f32_entry("model.layers.0.self_attn.q_proj.weight", Wq)}));
  const auto partial_base = io::ModelDir::open(partial.str());
  o.peft_base = &partial_base;
  try {
    analyze_model(model, o);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.0.mlp.up_proj.weight"), std::string::npos) << e.what();
  }
}

TEST(LoraAdapter, SmallProductsAreSkippedWithTheReasonAndAHint) {
  test::TempDir dir;
  // dW = B·A is 8 x 6: 6 eigenvalues < min_evals 10.
  write_adapter(dir, {{kQ, random_f32(2, 6, 1), random_f32(8, 2, 2)}});
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  try {
    analyze_model(model, o);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(kQ + ".lora_BA: M*rf = 6 < min_evals 10"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--min-evals 6"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("--all-matrices"), std::string::npos) << msg;
  }
  o.selector.min_evals = 6;
  o.keep_evals = true;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].evals.size(), 6u);
  // Some pairs skipped, some analysed: the run's notes say which and why.
  test::TempDir mixed;
  write_adapter(mixed, {{kQ, random_f32(2, 6, 1), random_f32(8, 2, 2)}, two_modules()[1]});
  const auto mixed_model = io::ModelDir::open(mixed.str());
  const auto m = analyze_model(mixed_model, AnalyzeOptions{});
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_TRUE(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string& n) {
    return n.find("1 analysed, 1 skipped (e.g. " + kQ + ".lora_BA: M*rf = 6 < min_evals 10)") != std::string::npos;
  })) << ::testing::PrintToString(m.notes);
  EXPECT_EQ(std::count_if(r.layers[0].evals.begin(), r.layers[0].evals.end(), [](double v) { return v > 0; }), 2);
}

TEST(LoraAdapter, UnpairedFactorIsListedAsSkipped) {
  test::TempDir dir;
  const auto mods = two_modules();
  std::vector<test::StEntry> entries = {f32_entry(kQ + ".lora_A.weight", mods[0].A),
                                        f32_entry(kUp + ".lora_A.weight", mods[1].A),
                                        f32_entry(kUp + ".lora_B.weight", mods[1].B)};
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  test::write_file(dir.path() / "adapter_model.safetensors", test::build_safetensors(entries));
  const auto model = io::ModelDir::open(dir.str());
  const auto r = analyze_model(model, AnalyzeOptions{});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].info.name, kUp + ".lora_BA");
  const auto it = std::find_if(r.selection.layers.begin(), r.selection.layers.end(),
                               [](const layers::LayerInfo& l) { return l.name == kQ + ".lora_A"; });
  ASSERT_NE(it, r.selection.layers.end());
  EXPECT_FALSE(it->selected);
  EXPECT_EQ(it->skip_reason, "LoRA lora_A without its lora_B");
  EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.find("1 LoRA factor(s) without a partner are not analysed (e.g. " + kQ + ".lora_A: LoRA lora_A without its lora_B)") !=
           std::string::npos;
  })) << ::testing::PrintToString(r.notes);
}

TEST(LoraAdapter, OptionsThatDoNotApplySaySo) {
  test::TempDir dir;
  write_adapter(dir, two_modules());
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.delta_base = &model;  // W - W_base has no meaning for a pair: --peft-base is the option
  EXPECT_THROW(analyze_model(model, o), UsageError);
  // --lora-scale on a model without LoRA pairs: a warning, not a silent no-op.
  const auto plain = io::ModelDir::open(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab");
  AnalyzeOptions s;
  s.lora_scale = true;
  s.selector.include_regex = "layers\\.0\\.mlp";
  const auto r = analyze_model(plain, s);
  EXPECT_TRUE(std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w.find("--lora-scale: no LoRA layer") != std::string::npos;
  })) << ::testing::PrintToString(r.warnings);
}

TEST(LoraAdapter, KeyParsing) {
  const auto k = layers::parse_lora_key(kQ + ".lora_A.weight");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->prefix, kQ);
  EXPECT_EQ(k->adapter, "");
  EXPECT_EQ(k->factor, 'A');
  EXPECT_EQ(layers::lora_layer_name(*k, layers::LayerSource::LoraProduct), kQ + ".lora_BA");
  const auto named = layers::parse_lora_key("m.q_proj.lora_B.default.weight");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->prefix, "m.q_proj");
  EXPECT_EQ(named->adapter, "default");
  EXPECT_EQ(named->factor, 'B');
  EXPECT_FALSE(layers::parse_lora_key("m.q_proj.weight"));
  EXPECT_FALSE(layers::parse_lora_key("m.lora_A.bias"));
  EXPECT_EQ(layers::lora_base_keys(kQ).front(), "model.layers.0.self_attn.q_proj.weight");
}

TEST(LoraAdapter, PrecisionSweepAnalysesTheProduct) {
  test::TempDir dir;
  const auto mods = two_modules();
  write_adapter(dir, mods);
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.keep_evals = true;
  const auto r = run_sweep(model, o, {"fp32"});
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[1][0].info.name, kQ + ".lora_BA");
  // fp32 rounds the product to float32 values: the dense spectrum to float32 precision.
  const auto want = dense_evals(mods[0].B * mods[0].A);
  const auto& got = r.layers[1][0].evals;
  ASSERT_EQ(got.size(), want.size());
  EXPECT_NEAR(got.back(), want.back(), 1e-6 * want.back());
}

}  // namespace
}  // namespace qspectra::pipeline
