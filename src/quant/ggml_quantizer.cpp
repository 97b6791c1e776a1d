// GGML types as quantizers (q4_k, iq4_xs, mxfp4...): each row of the [out, in] view quantized by
// ggml's reference quantizer and dequantized back, both in float32, exactly as ggml does (the row
// functions live in the types layer and reproduce ggml's bytes; no importance matrix).
#include <fmt/format.h>

#include "qspectra/core/error.hpp"
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

protected:
  void apply_checked(TensorData& t) const override {
    if (const std::string why = shape_problem(t.shape); !why.empty()) throw InputError("", why);
    require_float32_range(t.values, spec());
    const auto& tt = types::traits(qspec().ggml_type);
    const RowView rv = row_view(t.shape);
    const auto cols = static_cast<std::size_t>(rv.cols);
    std::vector<float> row(cols);
    std::vector<std::byte> blocks(cols / tt.block_size * tt.block_bytes);
    for (int64_t r = 0; r < rv.rows; ++r) {
      double* v = t.values.data() + static_cast<std::size_t>(r) * cols;
      for (std::size_t i = 0; i < cols; ++i) row[i] = static_cast<float>(v[i]);
      tt.from_float(row.data(), blocks.data(), cols);
      tt.to_float(blocks.data(), row.data(), cols);
      for (std::size_t i = 0; i < cols; ++i) v[i] = row[i];
    }
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_ggml_quantizer(const QuantSpec& s) { return std::make_unique<GgmlQuantizer>(s); }

}  // namespace qspectra::quant::detail
