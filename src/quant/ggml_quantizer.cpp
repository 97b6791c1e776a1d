// GGML types as quantizers (q4_k, iq4_xs, mxfp4...): each row of the [out, in] view quantized by
// ggml's reference quantizer and dequantized back, both in float32, exactly as ggml does (the row
// functions live in the types layer and reproduce ggml's bytes; no importance matrix).
// A row that is not whole blocks of the type gets what llama-quantize writes for it: the type's
// fallback (q4_k -> q5_0), else f16 (types::row_type); spec_for() names it, e.g. "q4_k->q5_0".
#include <fmt/format.h>

#include "qspectra/quant/blocks.hpp"
#include "spec_quantizer.hpp"

namespace qspectra::quant::detail {
namespace {

class GgmlQuantizer final : public SpecQuantizer {
public:
  using SpecQuantizer::SpecQuantizer;

  std::string shape_problem(const std::vector<int64_t>& shape) const override {
    const auto& t = types::traits(qspec().ggml_type);
    const RowView rv = row_view(shape);
    if (rv.rows == 0 || rv.cols % t.block_size == 0) return {};
    return fmt::format("{}: row length {} is not a multiple of the {} block size {}", spec(), rv.cols, t.name,
                       t.block_size);
  }

  std::string spec_for(const std::vector<int64_t>& shape) const override {
    const types::ElementType ran = type_for(shape);
    if (ran == qspec().ggml_type) return spec();
    return fmt::format("{}->{}", spec(), types::traits(ran).name);
  }

  double bits_per_weight(const std::vector<int64_t>& shape) const override {
    return types::traits(type_for(shape)).bits_per_weight();  // scales included
  }

protected:
  void apply_checked(TensorData& t) const override {
    require_float32_range(t.values, spec());
    const auto& tt = types::traits(type_for(t.shape));
    const RowView rv = row_view(t.shape);
    const auto cols = static_cast<std::size_t>(rv.cols);
    std::vector<float> row(cols);
    std::vector<std::byte> blocks(cols / tt.block_size * tt.block_bytes);
    for (int64_t r = 0; r < rv.rows; ++r) {
      double* v = t.values.data() + static_cast<std::size_t>(r) * cols;
      for (std::size_t i = 0; i < cols; ++i) row[i] = static_cast<float>(v[i]);
      tt.from_float(row.data(), blocks.data(), cols);  // f16 too: its row has 1-element blocks
      tt.to_float(blocks.data(), row.data(), cols);
      for (std::size_t i = 0; i < cols; ++i) v[i] = row[i];
    }
  }

private:
  // The type this shape's rows are quantized to: the spec's type, or llama-quantize's fallback.
  types::ElementType type_for(const std::vector<int64_t>& shape) const {
    const RowView rv = row_view(shape);
    if (rv.rows == 0) return qspec().ggml_type;
    return types::row_type(qspec().ggml_type, static_cast<std::size_t>(rv.cols));
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_ggml_quantizer(const QuantSpec& s) { return std::make_unique<GgmlQuantizer>(s); }

}  // namespace qspectra::quant::detail
