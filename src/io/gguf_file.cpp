// GgufFile: a read-only private mapping; the header is parsed once, a tensor's pages are touched only
// when it is read (dequantized in small chunks straight into the float64 result) and can be dropped again.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "qspectra/core/error.hpp"
#include "qspectra/io/dtype.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::io {

std::shared_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::shared_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->file_ = MappedFile(path);
  f->header_ = parse_gguf(f->file_.bytes(), path);
  f->infos_ = gguf_tensor_infos(f->header_);
  if (const auto heads = gguf_llama_heads(f->header_)) f->set_llama_heads(heads->first, heads->second);
  return f;
}

std::span<const std::byte> GgufFile::raw(const TensorInfo& t) const {
  const uint64_t data_len = file_.size() - header_.data_offset;
  if (t.data_begin > t.data_end || t.data_end > data_len)
    throw InputError(path_, t.name + ": data [" + std::to_string(t.data_begin) + ", " + std::to_string(t.data_end) +
                                ") lies outside the data section");
  return {file_.data() + header_.data_offset + t.data_begin, static_cast<std::size_t>(t.data_end - t.data_begin)};
}

TensorData GgufFile::read(const TensorInfo& t) const {
  if (!t.skip_reason.empty()) throw InputError(path_, t.name + ": " + t.skip_reason);
  const auto it = std::find_if(header_.tensors.begin(), header_.tensors.end(),
                               [&](const GgufTensor& g) { return g.name == t.name; });
  if (it == header_.tensors.end()) throw InputError(path_, t.name + ": not a tensor of this file");
  const auto* ti = ggml_type_info(it->ggml_type);
  if (!ti || !ggml_type_readable(it->ggml_type)) throw InputError(path_, t.name + ": GGML type cannot be read");
  auto bytes = raw(t);
  const auto n = static_cast<std::size_t>(t.numel());
  if (bytes.size() != n / ti->block_size * ti->type_size)
    throw InputError(path_, t.name + ": byte size does not match shape and type");
  TensorData out;
  out.shape = t.shape;
  out.values.resize(n);
  const uint32_t id = it->ggml_type;
  const std::byte* src = bytes.data();
  double* dst = out.values.data();
  const auto* traits = types::find_by_ggml_id(id);
  if (!traits || !traits->readable()) throw InputError(path_, t.name + ": GGML type cannot be read");
  MappedFile::guarded_read(path_, [=] {
    // Plain types widen exactly; block types are dequantized to float32 as ggml does, a chunk at a
    // time into a stack buffer (no allocation: this may be left by siglongjmp), then widened.
    if (traits->to_double) return traits->to_double(src, dst, n);
    constexpr std::size_t kChunk = 8192;  // a multiple of every block size (32, 256)
    float buf[kChunk];
    for (std::size_t k = 0; k < n; k += kChunk) {
      const std::size_t m = std::min(kChunk, n - k);
      traits->to_float(src + k / ti->block_size * ti->type_size, buf, m);
      for (std::size_t j = 0; j < m; ++j) dst[k + j] = buf[j];
    }
  });

  if (n_head_ > 0 && t.name.rfind("blk.", 0) == 0) {
    const auto ends = [&](std::string_view x) { return t.name.size() > x.size() && t.name.compare(t.name.size() - x.size(), x.size(), x) == 0; };
    if (ends(".attn_q.weight") && !unpermute_llama_rows(out, n_head_))
      throw InputError(path_, t.name + ": rows are not a multiple of 2 x head_count " + std::to_string(n_head_));
    if (ends(".attn_k.weight") && !unpermute_llama_rows(out, n_head_kv_))
      throw InputError(path_, t.name + ": rows are not a multiple of 2 x head_count_kv " + std::to_string(n_head_kv_));
  }
  return out;
}

void GgufFile::release(const TensorInfo& t) const { MappedFile::release(raw(t)); }

std::optional<GgufSplitName> parse_gguf_split_name(std::string_view n) {
  // <prefix>-NNNNN-of-MMMMM.gguf (llama.cpp's llama_split_path: "%s-%05d-of-%05d.gguf")
  constexpr std::string_view ext = ".gguf";
  if (n.size() < ext.size() + 16 || n.substr(n.size() - ext.size()) != ext) return std::nullopt;
  n.remove_suffix(ext.size());
  const auto tail = n.substr(n.size() - 15);  // "-NNNNN-of-MMMMM"
  if (tail[0] != '-' || tail.substr(6, 4) != "-of-") return std::nullopt;
  GgufSplitName s;
  auto num = [](std::string_view d, int& v) {
    if (d.size() != 5 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    std::from_chars(d.data(), d.data() + d.size(), v);
    return true;
  };
  if (!num(tail.substr(1, 5), s.index) || !num(tail.substr(10, 5), s.count)) return std::nullopt;
  if (s.index < 1 || s.index > s.count) return std::nullopt;
  s.prefix = std::string(n.substr(0, n.size() - 15));
  return s;
}

std::string gguf_split_file_name(const std::string& prefix, int index, int count) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "-%05d-of-%05d.gguf", index, count);
  return prefix + buf;
}

}  // namespace qspectra::io
