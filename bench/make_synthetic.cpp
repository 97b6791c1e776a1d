// qspectra-make-synthetic: write a synthetic, heavy-tailed, Hugging Face-shaped safetensors model for the
// benchmarks (docs/benchmarks.md). Stand-alone: no qspectra library code, no JSON library; the file is
// written directly (8-byte little-endian header length + JSON header padded to 8 bytes + data), one tensor
// at a time and in blocks, so memory stays at a few MB whatever the model size.
//
//   qspectra-make-synthetic --preset qwen2.5-0.5b --out /tmp/qspectra-bench/qwen2.5-0.5b
//   qspectra-make-synthetic --preset qwen2.5-0.5b --layers 4 --out /tmp/qspectra-bench/qwen-4l
//   qspectra-make-synthetic --preset llama-7b-layer --out /tmp/qspectra-bench/llama-7b-layer
//   qspectra-make-synthetic --preset single-layer --shape 4864x896 --out /tmp/qspectra-bench/single
//
// Content. Each 2-D weight is W = s * G * D: G i.i.d. standard normal, D a power-law scaling along the
// smaller dimension, d_k = (1 + pi(k))^(-beta) with pi a seeded permutation, s such that the entries have
// standard deviation 0.02 (0.02 * 0.6 for the embedding). For a tall/wide matrix the squared singular values
// follow d_k^2, so the eigenvalue density has a power-law tail with exponent alpha = 1 + 1/(2 beta);
// beta is drawn per tensor so that alpha lies in [2.5, 5] (a realistic, "well trained" range; the fitted
// alpha of a finite matrix differs, see docs/benchmarks.md). Norm weights are 1-D, 1 + 0.05 N(0,1); the
// q/k/v biases of Qwen2 are 1-D, 0.02 N(0,1). Everything is stored as BF16 (round to nearest even) or F32.
//
// Determinism: every tensor has its own random stream, seeded from (--seed, tensor name) with splitmix64 and
// xoshiro256**; the bytes depend only on the seed, the tensor name and shape (so the first N layers of
// `--layers N` equal those of the full model), given the same libm (log/sin/cos/pow) results.
//
// Re-running with the same arguments is a no-op (a stamp file records them) unless --force.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// ---- random numbers: splitmix64 (seeding) + xoshiro256** -------------------------------------------------
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

class Rng {
public:
  Rng(uint64_t seed, const std::string& stream) {
    uint64_t x = seed ^ fnv1a(stream);
    for (auto& v : s_) v = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in (0, 1]: 53 random bits, never 0 (log-safe).
  double uniform() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  // Standard normals, two at a time (Box-Muller).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double th = kTwoPi * uniform();
    spare_ = r * std::sin(th);
    have_spare_ = true;
    return r * std::cos(th);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool have_spare_ = false;
};

// ---- storage ------------------------------------------------------------------------------------------------
uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7F800000u) == 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | ((bits & 0xFFFF) ? 0x40 : 0));
  bits += 0x7FFFu + ((bits >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

enum class Kind { Matrix, Embedding, Norm, Bias };

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  Kind kind = Kind::Matrix;
  uint64_t numel() const {
    uint64_t n = 1;
    for (auto d : shape) n *= static_cast<uint64_t>(d);
    return n;
  }
};

struct Options {
  std::string preset, out_dir, dtype = "bf16";
  int layers = -1;  // -1: the preset's
  uint64_t seed = 0;
  int64_t shape_rows = 4864, shape_cols = 896;
  bool no_embed = false, force = false, quiet = false;
  uint64_t shard_bytes = 5ULL << 30;  // Hugging Face's default max_shard_size (5 GB): Qwen2.5-0.5B is one file
};

struct Model {
  std::vector<Tensor> tensors;
  std::string config_json;
};

void add_matrix(Model& m, const std::string& name, int64_t rows, int64_t cols) {
  m.tensors.push_back({name, {rows, cols}, Kind::Matrix});
}
void add_1d(Model& m, const std::string& name, int64_t n, Kind k) { m.tensors.push_back({name, {n}, k}); }

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

// Hugging Face Qwen2 / Llama layer names.
void add_decoder_layer(Model& m, int i, int64_t hidden, int64_t kv, int64_t inter, bool qkv_bias) {
  const std::string p = "model.layers." + std::to_string(i) + ".";
  add_matrix(m, p + "self_attn.q_proj.weight", hidden, hidden);
  add_matrix(m, p + "self_attn.k_proj.weight", kv, hidden);
  add_matrix(m, p + "self_attn.v_proj.weight", kv, hidden);
  add_matrix(m, p + "self_attn.o_proj.weight", hidden, hidden);
  if (qkv_bias) {
    add_1d(m, p + "self_attn.q_proj.bias", hidden, Kind::Bias);
    add_1d(m, p + "self_attn.k_proj.bias", kv, Kind::Bias);
    add_1d(m, p + "self_attn.v_proj.bias", kv, Kind::Bias);
  }
  add_matrix(m, p + "mlp.gate_proj.weight", inter, hidden);
  add_matrix(m, p + "mlp.up_proj.weight", inter, hidden);
  add_matrix(m, p + "mlp.down_proj.weight", hidden, inter);
  add_1d(m, p + "input_layernorm.weight", hidden, Kind::Norm);
  add_1d(m, p + "post_attention_layernorm.weight", hidden, Kind::Norm);
}

Model build_model(const Options& o) {
  Model m;
  std::ostringstream cfg;
  if (o.preset == "qwen2.5-0.5b") {
    const int n = o.layers < 0 ? 24 : o.layers;
    const int64_t hidden = 896, kv = 128, inter = 4864, vocab = 151936;
    if (!o.no_embed) {
      Tensor e{"model.embed_tokens.weight", {vocab, hidden}, Kind::Embedding};
      m.tensors.push_back(e);
    }
    for (int i = 0; i < n; ++i) add_decoder_layer(m, i, hidden, kv, inter, true);
    add_1d(m, "model.norm.weight", hidden, Kind::Norm);
    cfg << "{\n  \"architectures\": [\"Qwen2ForCausalLM\"],\n  \"model_type\": \"qwen2\",\n"
        << "  \"hidden_size\": 896,\n  \"intermediate_size\": 4864,\n  \"num_hidden_layers\": " << n << ",\n"
        << "  \"num_attention_heads\": 14,\n  \"num_key_value_heads\": 2,\n  \"vocab_size\": 151936,\n"
        << "  \"max_position_embeddings\": 32768,\n  \"rms_norm_eps\": 1e-06,\n  \"rope_theta\": 1000000.0,\n"
        << "  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": true,\n  \"torch_dtype\": \""
        << (o.dtype == "bf16" ? "bfloat16" : "float32") << "\",\n";
  } else if (o.preset == "llama-7b-layer") {
    const int n = o.layers < 0 ? 1 : o.layers;
    for (int i = 0; i < n; ++i) add_decoder_layer(m, i, 4096, 4096, 11008, false);
    cfg << "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
        << "  \"hidden_size\": 4096,\n  \"intermediate_size\": 11008,\n  \"num_hidden_layers\": " << n << ",\n"
        << "  \"num_attention_heads\": 32,\n  \"num_key_value_heads\": 32,\n  \"vocab_size\": 32000,\n"
        << "  \"rms_norm_eps\": 1e-06,\n  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": false,\n"
        << "  \"torch_dtype\": \"" << (o.dtype == "bf16" ? "bfloat16" : "float32") << "\",\n";
  } else if (o.preset == "single-layer") {
    const int n = o.layers < 0 ? 1 : o.layers;
    for (int i = 0; i < n; ++i)
      add_matrix(m, "model.layers." + std::to_string(i) + ".mlp.gate_proj.weight", o.shape_rows, o.shape_cols);
    cfg << "{\n  \"model_type\": \"synthetic\",\n  \"num_hidden_layers\": " << n << ",\n"
        << "  \"tie_word_embeddings\": false,\n";
  } else {
    throw std::runtime_error("unknown preset '" + o.preset + "' (qwen2.5-0.5b, llama-7b-layer, single-layer)");
  }
  cfg << "  \"qspectra_synthetic\": {\"generator\": \"qspectra-make-synthetic\", \"preset\": \"" << o.preset
      << "\", \"seed\": " << o.seed << ", \"note\": \"synthetic heavy-tailed weights for benchmarks, not a "
      << "trained model\"}\n}\n";
  m.config_json = cfg.str();
  // Data in name order, as Hugging Face's writer lays a file out (and as qspectra reads it).
  std::sort(m.tensors.begin(), m.tensors.end(), [](const Tensor& a, const Tensor& b) { return a.name < b.name; });
  return m;
}

// ---- tensor contents, streamed in blocks ----------------------------------------------------------------------
class Writer {
public:
  Writer(const std::string& path, const std::string& dtype) : path_(path), bf16_(dtype == "bf16") {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 22);
  }
  ~Writer() {
    if (f_) std::fclose(f_);
  }
  void bytes(const void* p, std::size_t n) {
    if (std::fwrite(p, 1, n, f_) != n) throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
  }
  void values(const std::vector<float>& v) {
    if (bf16_) {
      buf16_.resize(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) buf16_[i] = float_to_bf16(v[i]);
      bytes(buf16_.data(), buf16_.size() * 2);  // little-endian host assumed (x86-64, aarch64)
    } else {
      bytes(v.data(), v.size() * 4);
    }
  }
  void close() {
    if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0 || std::fclose(f_) != 0) {
      f_ = nullptr;
      throw std::runtime_error(path_ + ": flush failed: " + std::strerror(errno));
    }
    f_ = nullptr;
  }

private:
  std::string path_;
  bool bf16_;
  std::FILE* f_ = nullptr;
  std::vector<uint16_t> buf16_;
};

void write_tensor_data(Writer& w, const Tensor& t, uint64_t seed) {
  Rng rng(seed, t.name);
  std::vector<float> block;
  if (t.kind == Kind::Norm || t.kind == Kind::Bias) {
    block.resize(t.numel());
    for (auto& v : block) v = static_cast<float>(t.kind == Kind::Norm ? 1.0 + 0.05 * rng.normal() : 0.02 * rng.normal());
    w.values(block);
    return;
  }
  const int64_t rows = t.shape[0], cols = t.shape[1];
  const bool scale_cols = cols <= rows;  // scale along the smaller dimension
  const int64_t k = scale_cols ? cols : rows;
  // alpha = 1 + 1/(2 beta) uniform in [2.5, 5]
  const double alpha = 2.5 + 2.5 * rng.uniform();
  const double beta = 1.0 / (2.0 * (alpha - 1.0));
  std::vector<int64_t> perm(static_cast<std::size_t>(k));
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = k - 1; i > 0; --i)  // Fisher-Yates
    std::swap(perm[static_cast<std::size_t>(i)], perm[static_cast<std::size_t>(rng.next() % static_cast<uint64_t>(i + 1))]);
  std::vector<double> d(static_cast<std::size_t>(k));
  double sumsq = 0;
  for (int64_t i = 0; i < k; ++i) {
    d[static_cast<std::size_t>(i)] = std::pow(1.0 + static_cast<double>(perm[static_cast<std::size_t>(i)]), -beta);
    sumsq += d[static_cast<std::size_t>(i)] * d[static_cast<std::size_t>(i)];
  }
  const double target_std = t.kind == Kind::Embedding ? 0.012 : 0.02;
  const double s = target_std / std::sqrt(sumsq / static_cast<double>(k));
  for (auto& v : d) v *= s;
  // Blocks of whole rows, about 1M values.
  const int64_t rows_per_block = std::max<int64_t>(1, (int64_t{1} << 20) / cols);
  for (int64_t r0 = 0; r0 < rows; r0 += rows_per_block) {
    const int64_t r1 = std::min(rows, r0 + rows_per_block);
    block.resize(static_cast<std::size_t>((r1 - r0) * cols));
    std::size_t p = 0;
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < cols; ++c)
        block[p++] = static_cast<float>(rng.normal() * d[static_cast<std::size_t>(scale_cols ? c : r)]);
    w.values(block);
  }
}

std::string header_json(const std::vector<const Tensor*>& ts, const Options& o, uint64_t& data_bytes) {
  const uint64_t esize = o.dtype == "bf16" ? 2 : 4;
  std::ostringstream h;
  h << "{\"__metadata__\":{\"format\":\"pt\",\"generator\":\"qspectra-make-synthetic\",\"preset\":\""
    << json_escape(o.preset) << "\",\"seed\":\"" << o.seed << "\"}";
  uint64_t off = 0;
  for (const Tensor* t : ts) {
    h << ",\"" << json_escape(t->name) << "\":{\"dtype\":\"" << (o.dtype == "bf16" ? "BF16" : "F32") << "\",\"shape\":[";
    for (std::size_t i = 0; i < t->shape.size(); ++i) h << (i ? "," : "") << t->shape[i];
    const uint64_t end = off + t->numel() * esize;
    h << "],\"data_offsets\":[" << off << "," << end << "]}";
    off = end;
  }
  h << "}";
  data_bytes = off;
  std::string s = h.str();
  while (s.size() % 8) s += ' ';  // as the safetensors writer pads: data starts 8-byte aligned
  return s;
}

void write_safetensors(const std::string& path, const std::vector<const Tensor*>& ts, const Options& o) {
  uint64_t data_bytes = 0;
  const std::string header = header_json(ts, o, data_bytes);
  const std::string tmp = path + ".tmp";
  Writer w(tmp, o.dtype);
  uint64_t len = header.size();
  unsigned char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(len >> (8 * i));
  w.bytes(le, 8);
  w.bytes(header.data(), header.size());
  for (const Tensor* t : ts) {
    if (!o.quiet && ::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K  %s", t->name.c_str());
    write_tensor_data(w, *t, o.seed);
  }
  w.close();
  if (!o.quiet && ::isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
  fs::rename(tmp, path);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path + ".tmp", std::ios::binary);
  f << text;
  f.close();
  if (!f) throw std::runtime_error(path + ": write failed");
  fs::rename(path + ".tmp", path);
}

uint64_t parse_size(const std::string& s) {
  std::size_t used = 0;
  const double v = std::stod(s, &used);
  std::string suf = s.substr(used);
  double mul = 1;
  if (suf == "K" || suf == "KB") mul = 1e3;
  else if (suf == "M" || suf == "MB") mul = 1e6;
  else if (suf == "G" || suf == "GB") mul = 1e9;
  else if (suf == "KiB") mul = 1024.0;
  else if (suf == "MiB") mul = 1024.0 * 1024;
  else if (suf == "GiB") mul = 1024.0 * 1024 * 1024;
  else if (!suf.empty()) throw std::runtime_error("bad size '" + s + "'");
  return static_cast<uint64_t>(v * mul);
}

constexpr const char* kUsage = R"(usage: qspectra-make-synthetic --preset NAME --out DIR [options]

Writes DIR/model.safetensors (or model-0000i-of-0000n.safetensors + model.safetensors.index.json when
larger than --shard-size) and DIR/config.json: a synthetic, heavy-tailed model with Hugging Face names.

presets:
  qwen2.5-0.5b    Qwen2.5-0.5B shapes: 24 layers, hidden 896, intermediate 4864, q/o 896x896, k/v 128x896
                  (+ q/k/v biases), gate/up 4864x896, down 896x4864, embed_tokens 151936x896 (lm_head tied,
                  config.json tie_word_embeddings=true), RMSNorm weights 1-D. ~988 MB in BF16.
  llama-7b-layer  one Llama-7B decoder layer: q/k/v/o 4096x4096, gate/up 11008x4096, down 4096x11008. ~405 MB.
  single-layer    one matrix model.layers.0.mlp.gate_proj.weight of --shape (default 4864x896).

options:
  --layers N        number of decoder layers (qwen2.5-0.5b: 24, others: 1)
  --seed S          random seed (default 0)
  --dtype bf16|f32  storage dtype (default bf16)
  --shape RxC       single-layer: the matrix shape
  --no-embed        qwen2.5-0.5b: leave out embed_tokens
  --shard-size SZ   shard above this size (e.g. 500MB, 2GiB; default 5GB, Hugging Face's default)
  --force           rewrite even when DIR holds the same model already
  --quiet           no progress on stderr
)";

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--preset") o.preset = value();
      else if (a == "--out" || a == "-o") o.out_dir = value();
      else if (a == "--layers") o.layers = std::stoi(value());
      else if (a == "--seed") o.seed = std::stoull(value());
      else if (a == "--dtype") o.dtype = value();
      else if (a == "--shard-size") o.shard_bytes = parse_size(value());
      else if (a == "--no-embed") o.no_embed = true;
      else if (a == "--force") o.force = true;
      else if (a == "--quiet" || a == "-q") o.quiet = true;
      else if (a == "--shape") {
        const std::string s = value();
        const auto x = s.find('x');
        if (x == std::string::npos) throw std::runtime_error("--shape: expected RxC, got '" + s + "'");
        o.shape_rows = std::stoll(s.substr(0, x));
        o.shape_cols = std::stoll(s.substr(x + 1));
        if (o.shape_rows < 1 || o.shape_cols < 1) throw std::runtime_error("--shape: dimensions must be positive");
      } else if (a == "--help" || a == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      } else {
        throw std::runtime_error("unknown argument '" + a + "'");
      }
    }
    if (o.preset.empty() || o.out_dir.empty()) throw std::runtime_error("--preset and --out are required");
    if (o.dtype != "bf16" && o.dtype != "f32") throw std::runtime_error("--dtype: bf16 or f32");
    if (o.layers < -1 || o.layers == 0) throw std::runtime_error("--layers: at least 1");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qspectra-make-synthetic: %s\n%s", e.what(), kUsage);
    return 2;
  }

  try {
    const Model m = build_model(o);
    std::ostringstream stamp;
    stamp << "preset=" << o.preset << " layers=" << o.layers << " seed=" << o.seed << " dtype=" << o.dtype
          << " shape=" << o.shape_rows << "x" << o.shape_cols << " no_embed=" << o.no_embed
          << " shard=" << o.shard_bytes << " version=1\n";
    const fs::path dir(o.out_dir);
    const fs::path stamp_path = dir / ".qspectra-synthetic";
    if (!o.force && fs::exists(stamp_path)) {
      std::ifstream in(stamp_path);
      std::stringstream old;
      old << in.rdbuf();
      if (old.str() == stamp.str()) {
        if (!o.quiet) std::fprintf(stderr, "qspectra-make-synthetic: %s is up to date\n", o.out_dir.c_str());
        return 0;
      }
    }
    fs::create_directories(dir);
    fs::remove(stamp_path);
    for (const auto& e : fs::directory_iterator(dir))  // leftovers of another preset/sharding
      if (e.path().extension() == ".safetensors" || e.path().filename().string().ends_with(".index.json"))
        fs::remove(e.path());

    const uint64_t esize = o.dtype == "bf16" ? 2 : 4;
    std::vector<std::vector<const Tensor*>> shards(1);
    uint64_t cur = 0, total = 0;
    for (const auto& t : m.tensors) {
      const uint64_t b = t.numel() * esize;
      if (cur > 0 && cur + b > o.shard_bytes) {
        shards.emplace_back();
        cur = 0;
      }
      shards.back().push_back(&t);
      cur += b;
      total += b;
    }
    std::vector<std::string> names;
    if (shards.size() == 1) {
      names.push_back("model.safetensors");
    } else {
      for (std::size_t i = 0; i < shards.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
        names.push_back(buf);
      }
    }
    if (!o.quiet)
      std::fprintf(stderr, "qspectra-make-synthetic: %s: %zu tensors, %.1f MB of %s data in %zu file(s)\n",
                   o.out_dir.c_str(), m.tensors.size(), static_cast<double>(total) / 1e6, o.dtype.c_str(),
                   shards.size());
    for (std::size_t i = 0; i < shards.size(); ++i) write_safetensors((dir / names[i]).string(), shards[i], o);
    if (shards.size() > 1) {
      std::ostringstream idx;
      idx << "{\n  \"metadata\": {\"total_size\": " << total << "},\n  \"weight_map\": {";
      bool first = true;
      for (std::size_t i = 0; i < shards.size(); ++i)
        for (const Tensor* t : shards[i]) {
          idx << (first ? "\n" : ",\n") << "    \"" << json_escape(t->name) << "\": \"" << names[i] << "\"";
          first = false;
        }
      idx << "\n  }\n}\n";
      write_text((dir / "model.safetensors.index.json").string(), idx.str());
    }
    write_text((dir / "config.json").string(), m.config_json);
    write_text(stamp_path.string(), stamp.str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qspectra-make-synthetic: %s\n", e.what());
    return 1;
  }
}
