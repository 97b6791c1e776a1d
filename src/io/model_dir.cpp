// ModelDir: which files of a directory are the model (METRICS.md §1 plus sharded, adapter and PyTorch layouts), and the
// tensors they hold in reference order.
#include "qspectra/io/model_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "json_strict.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

namespace qspectra::io {
namespace fs = std::filesystem;
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view x) { return s.size() >= x.size() && s.substr(s.size() - x.size()) == x; }

bool is_index(const std::string& n) { return starts_with(n, "model") && ends_with(n, ".safetensors.index.json"); }
bool is_safetensors(const std::string& n) { return ends_with(n, ".safetensors"); }
bool is_model(const std::string& n) { return starts_with(n, "model") && is_safetensors(n); }
bool is_adapter(const std::string& n) { return starts_with(n, "adapter_model") && is_safetensors(n); }
// PyTorch checkpoints (read only when the directory has no safetensors).
bool is_torch_file(const std::string& n) { return ends_with(n, ".bin") || ends_with(n, ".pt") || ends_with(n, ".pth"); }
bool is_torch_index(const std::string& n) { return starts_with(n, "pytorch_model") && ends_with(n, ".bin.index.json"); }
bool is_torch_model(const std::string& n) { return starts_with(n, "pytorch_model") && ends_with(n, ".bin"); }
bool is_torch_adapter(const std::string& n) { return starts_with(n, "adapter_model") && ends_with(n, ".bin"); }
bool is_torch_other(const std::string& n) { return ends_with(n, ".pt") || ends_with(n, ".pth"); }
bool is_gguf(const std::string& n) { return ends_with(n, ".gguf"); }

class SafetensorsSource final : public TensorSource {
public:
  explicit SafetensorsSource(std::shared_ptr<SafetensorsFile> f) : f_(std::move(f)) {}
  const std::string& path() const override { return f_->path(); }
  uint64_t file_size() const override { return f_->file_size(); }
  const std::vector<TensorInfo>& tensors() const override { return f_->header().tensors; }
  TensorData read(const TensorInfo& t) const override { return f_->read(t); }
  void release(const TensorInfo& t) const override { f_->release(t); }
  std::span<const std::byte> mapped_bytes(const TensorInfo& t) const override { return f_->mapped_bytes(t); }
  void prefetch(const TensorInfo& t) const override { MappedFile::prefetch(f_->raw(t)); }

private:
  std::shared_ptr<SafetensorsFile> f_;
};

class GgufSource final : public TensorSource {
public:
  explicit GgufSource(std::shared_ptr<GgufFile> f) : f_(std::move(f)) {}
  const std::string& path() const override { return f_->path(); }
  uint64_t file_size() const override { return f_->file_size(); }
  const std::vector<TensorInfo>& tensors() const override { return f_->tensors(); }
  TensorData read(const TensorInfo& t) const override { return f_->read(t); }
  void release(const TensorInfo& t) const override { f_->release(t); }
  const GgufFile* gguf() const override { return f_.get(); }

private:
  std::shared_ptr<GgufFile> f_;
};

// index.json and config.json: small text files, read whole. Capped (as a safetensors header) so that a
// huge or endless file (a FIFO, /dev/zero) is refused instead of read into memory.
constexpr std::uintmax_t kMaxTextFile = 100'000'000;

std::string read_text(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) throw InputError(p.string(), "not a regular file");
  if (const auto size = fs::file_size(p, ec); !ec && size > kMaxTextFile)
    throw InputError(p.string(), std::to_string(size) + " bytes; a JSON file of the model dir may have at most " +
                                     std::to_string(kMaxTextFile));
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(p.string(), "cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Regular files (symlinks followed, as in a Hugging Face cache), sorted by name.
std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
  if (ec) throw InputError(dir.string(), "cannot list directory: " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The stored input embedding an untied lm_head would share, named as in the supported styles.
const ModelTensor* find_embedding(const std::vector<ModelTensor>& ts) {
  for (const char* suffix : {"embed_tokens.weight", "token_embd.weight", "tok_embeddings.weight", "wte.weight", "word_embeddings.weight",
                             "embed_in.weight", "shared.weight"})
    for (const auto& t : ts)
      if (ends_with(t.info.name, suffix)) return &t;
  return nullptr;
}

}  // namespace

std::string_view layout_name(ModelLayout l) {
  switch (l) {
    case ModelLayout::Index: return "index";
    case ModelLayout::Model: return "model";
    case ModelLayout::Adapter: return "adapter";
    case ModelLayout::OtherSafetensors: return "other-safetensors";
    case ModelLayout::SingleFile: return "single-file";
    case ModelLayout::OtherTorch: return "other-torch";
    case ModelLayout::Gguf: return "gguf";
  }
  return "?";
}

ModelDir ModelDir::open(const std::string& path) {
  ModelDir m;
  m.path_ = path;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw InputError(path, "no such file or directory");

  std::vector<std::shared_ptr<GgufFile>> gguf_parts;
  auto add_file = [&](const fs::path& p) {
    std::shared_ptr<SafetensorsFile> f;
    std::shared_ptr<const TensorSource> src;
    if (is_torch_file(p.filename().string())) {
      src = torch::open_checkpoint(p.string());
    } else if (is_gguf(p.filename().string())) {
      gguf_parts.push_back(GgufFile::open(p.string()));
      src = std::make_shared<GgufSource>(gguf_parts.back());
    } else {
      f = SafetensorsFile::open(p.string());
      src = std::make_shared<SafetensorsSource>(f);
    }
    m.files_.push_back({p.string(), p.filename().string(), src->file_size()});
    m.open_files_.push_back(std::move(f));
    m.sources_.push_back(std::move(src));
    return m.files_.size() - 1;
  };
  // Without an index every stored tensor is part of the model, so a name in two files is ambiguous.
  std::unordered_map<std::string, std::size_t> seen;
  auto add_all_tensors = [&](std::size_t fi) {
    for (const auto& t : m.sources_[fi]->tensors()) {
      auto [it, fresh] = seen.emplace(t.name, fi);
      if (!fresh)
        throw InputError(path, "tensor " + t.name + " is in both " + m.files_[it->second].name + " and " + m.files_[fi].name);
      m.tensors_.push_back({t, fi});
    }
  };

  // A GGUF model: one file, or every part of a split model (named <prefix>-0000k-of-0000N.gguf).
  auto add_gguf = [&](const fs::path& dir, const std::vector<std::string>& ggufs, const std::string& label) {
    m.layout_ = ModelLayout::Gguf;
    std::vector<std::string> parts = ggufs;
    const auto split = parse_gguf_split_name(ggufs.front());
    if (split && split->count > 1) {
      parts.clear();
      for (int k = 1; k <= split->count; ++k) {
        const std::string n = gguf_split_file_name(split->prefix, k, split->count);
        if (!fs::is_regular_file(dir / n, ec))
          throw InputError(label, "split GGUF model " + split->prefix + ": part " + n + " is missing");
        parts.push_back(n);
      }
      for (const auto& g : ggufs)
        if (std::find(parts.begin(), parts.end(), g) == parts.end())
          throw InputError(label, "several GGUF models in the directory (" + join(ggufs) + "): pass one file");
    } else if (ggufs.size() > 1) {
      throw InputError(label, "several GGUF models in the directory (" + join(ggufs) + "): pass one file");
    }
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::size_t fi = add_file(dir / parts[k]);
      const GgufHeader& h = m.sources_[fi]->gguf()->header();
      // llama.cpp's gguf-split writes split.no (0-based) and split.count in every part.
      const auto no = h.find_int("split.no"), count = h.find_int("split.count");
      if (split && split->count > 1 && ((count && *count != split->count) || (no && *no != static_cast<int64_t>(k))))
        throw InputError(m.files_[fi].path, "split.no/split.count metadata (" + std::to_string(no.value_or(-1)) + "/" +
                                                std::to_string(count.value_or(-1)) + ") do not match the file name");
      add_all_tensors(fi);
    }
    const GgufHeader& h = *m.gguf_header();
    // Every part reads attn_q/attn_k in Hugging Face row order, with the first part's head counts.
    if (const auto heads = gguf_llama_heads(h))
      for (const auto& part : gguf_parts) part->set_llama_heads(heads->first, heads->second);
    m.notes_.push_back("GGUF v" + std::to_string(h.version) + (parts.size() > 1 ? ", split model of " + std::to_string(parts.size()) + " parts" : std::string()) +
                       ": tensors are dequantized to float on read; shapes are [rows, row length]");
    const auto has = [&](std::string_view n) {
      return std::any_of(m.tensors_.begin(), m.tensors_.end(), [&](const ModelTensor& t) { return t.info.name == n; });
    };
    if (has("token_embd.weight") && !has("output.weight"))
      m.notes_.push_back("output.weight is not stored: llama.cpp ties it to token_embd.weight (analysed once as the embedding)");
  };

  if (fs::is_regular_file(st)) {
    const fs::path p(path);
    if (is_gguf(p.filename().string())) {
      add_gguf(p.parent_path().empty() ? fs::path(".") : p.parent_path(), {p.filename().string()}, path);
      return m;
    }
    m.layout_ = ModelLayout::SingleFile;
    add_all_tensors(add_file(path));
    return m;
  }
  if (!fs::is_directory(st)) throw InputError(path, "not a regular file or directory");

  const fs::path dir(path);
  const auto names = list_files(dir);
  if (names.empty()) throw InputError(path, "directory is empty");

  std::vector<std::string> indexes, model, adapter, other;
  std::vector<std::string> t_indexes, t_model, t_adapter, t_other;  // the same sets of PyTorch files
  std::vector<std::string> ggufs;
  for (const auto& n : names) {
    if (is_gguf(n)) ggufs.push_back(n);
    else if (is_index(n)) indexes.push_back(n);
    else if (is_model(n)) model.push_back(n);
    else if (is_adapter(n)) adapter.push_back(n);
    else if (is_safetensors(n)) other.push_back(n);
    else if (is_torch_index(n)) t_indexes.push_back(n);
    else if (is_torch_model(n)) t_model.push_back(n);
    else if (is_torch_adapter(n)) t_adapter.push_back(n);
    else if (is_torch_other(n)) t_other.push_back(n);
  }
  // Safetensors are preferred, then GGUF; PyTorch checkpoints are read only from a directory without either.
  const bool no_safetensors = indexes.empty() && model.empty() && adapter.empty() && other.empty();
  if (no_safetensors && !ggufs.empty()) {
    add_gguf(dir, ggufs, path);
    return m;
  }
  if (!ggufs.empty()) m.notes_.push_back("safetensors and GGUF files: reading the safetensors, ignoring " + join(ggufs));
  const bool use_torch = no_safetensors;
  std::vector<std::string> torch_all = t_model;
  torch_all.insert(torch_all.end(), t_adapter.begin(), t_adapter.end());
  torch_all.insert(torch_all.end(), t_other.begin(), t_other.end());
  if (use_torch) {
    indexes = t_indexes, model = t_model, adapter = t_adapter, other = t_other;
  } else if (!torch_all.empty() || !t_indexes.empty()) {
    std::vector<std::string> skipped = t_indexes;
    skipped.insert(skipped.end(), torch_all.begin(), torch_all.end());
    m.notes_.push_back("both safetensors and PyTorch checkpoints: reading the safetensors (preferred), ignoring " + join(skipped));
  }
  const std::string ext = use_torch ? ".bin" : ".safetensors";
  std::vector<std::string> all_st = model;
  all_st.insert(all_st.end(), adapter.begin(), adapter.end());
  all_st.insert(all_st.end(), other.begin(), other.end());

  std::vector<std::string> read;  // the safetensors files that make up the model
  if (!indexes.empty()) {
    m.layout_ = ModelLayout::Index;
    const fs::path index_path = dir / indexes.front();
    if (indexes.size() > 1)
      m.notes_.push_back("several index files; using " + indexes.front() + " and ignoring " +
                         join({indexes.begin() + 1, indexes.end()}));
    // Files sorted by name, keys sorted by name within a file (the reference order).
    std::map<std::string, std::vector<std::string>> by_file;
    for (auto& [tensor, file] : parse_index_json(read_text(index_path), index_path.string()))
      by_file[file].push_back(tensor);
    for (auto& [file, tensors] : by_file) {
      if (!fs::exists(dir / file, ec))
        throw InputError(index_path.string(), "names shard " + file + ", which does not exist");
      if (!fs::is_regular_file(dir / file, ec))
        throw InputError(index_path.string(), "names shard " + file + ", which is not a regular file");
      const std::size_t fi = add_file(dir / file);
      const auto& shard = *m.sources_[fi];
      std::sort(tensors.begin(), tensors.end());
      for (const auto& name : tensors) {
        const TensorInfo* t = shard.find(name);
        if (!t) throw InputError(shard.path(), name + ": listed in " + indexes.front() + " but not stored in this shard");
        m.tensors_.push_back({*t, fi});
      }
      if (const auto extra = shard.tensors().size() - tensors.size(); extra > 0)
        m.notes_.push_back(file + ": " + std::to_string(extra) + " tensor(s) not in the index are ignored");
      read.push_back(file);
    }
  } else {
    if (!model.empty()) {
      m.layout_ = ModelLayout::Model;
      read = model;
    } else if (!adapter.empty()) {
      m.layout_ = ModelLayout::Adapter;
      read = adapter;
      m.notes_.push_back("LoRA adapter (adapter_model*" + ext + "): each lora_A/lora_B pair is analysed as one layer, dW = B·A");
    } else if (!other.empty()) {
      m.layout_ = use_torch ? ModelLayout::OtherTorch : ModelLayout::OtherSafetensors;
      read = other;
      m.notes_.push_back(use_torch ? "no pytorch_model*.bin: reading " + join(other)
                                   : "no model*.safetensors: reading " + join(other) +
                                         " (WeightWatcher itself reads only files named model*.safetensors)");
    } else {
      throw InputError(path, "no *.safetensors file in the directory (nor a PyTorch checkpoint: "
                             "pytorch_model*.bin, adapter_model*.bin, *.pt, *.pth; nor a *.gguf)");
    }
    for (const auto& n : read) add_all_tensors(add_file(dir / n));
  }

  std::vector<std::string> ignored;
  for (const auto& n : all_st)
    if (std::find(read.begin(), read.end(), n) == read.end()) ignored.push_back(n);
  if (!ignored.empty())
    m.notes_.push_back("ignored " + join(ignored) + " (not part of the " + std::string(layout_name(m.layout_)) +
                       " file set that is read)");

  // config.json only adds notes: a broken one must not stop the analysis of the weights.
  if (const fs::path cfg = dir / "config.json"; fs::is_regular_file(cfg, ec)) {
    try {
      const auto j = detail::parse_json_strict(read_text(cfg), cfg.string());
      if (auto it = j.find("tie_word_embeddings"); j.is_object() && it != j.end() && it->is_boolean())
        m.tie_word_embeddings_ = it->get<bool>();
    } catch (const InputError& e) {
      m.notes_.push_back(std::string("config.json ignored: ") + e.what());
    }
  }
  if (m.tie_word_embeddings_.value_or(false)) {
    const bool has_head = std::any_of(m.tensors_.begin(), m.tensors_.end(),
                                      [](const ModelTensor& t) { return t.info.name == "lm_head.weight"; });
    if (has_head) {
      m.notes_.push_back("config.json sets tie_word_embeddings but lm_head.weight is stored: both are analysed (as WeightWatcher does)");
    } else {
      const ModelTensor* emb = find_embedding(m.tensors_);
      m.notes_.push_back("lm_head.weight is tied to " + (emb ? emb->info.name : std::string("the input embedding")) +
                         " (not stored; analysed once as the embedding)");
    }
  }
  return m;
}

TensorData ModelDir::read(const ModelTensor& t) const { return source(t.file_index).read(t.info); }
void ModelDir::release(const ModelTensor& t) const { source(t.file_index).release(t.info); }
std::span<const std::byte> ModelDir::mapped_bytes(const ModelTensor& t) const {
  return source(t.file_index).mapped_bytes(t.info);
}
void ModelDir::prefetch(const ModelTensor& t) const { source(t.file_index).prefetch(t.info); }

const SafetensorsFile& ModelDir::file(std::size_t index) const {
  const auto& f = open_files_.at(index);
  if (!f) throw InputError(files_.at(index).path, "not a safetensors file (a PyTorch checkpoint)");
  return *f;
}

const GgufHeader* ModelDir::gguf_header() const {
  for (const auto& s : sources_)
    if (const auto* g = s->gguf()) return &g->header();
  return nullptr;
}

const TensorInfo* TensorSource::find(const std::string& name) const {
  const auto& ts = tensors();  // sorted by name
  auto it = std::lower_bound(ts.begin(), ts.end(), name, [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return (it != ts.end() && it->name == name) ? &*it : nullptr;
}

}  // namespace qspectra::io
