#include "qspectra/quant/blocks.hpp"

#include "qspectra/core/error.hpp"

namespace qspectra::quant {

RowView row_view(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  if (shape.size() < 2) return {1, n};
  if (shape[0] == 0) return {0, 0};
  return {shape[0], n / shape[0]};
}

std::vector<Block> make_blocks(const std::vector<int64_t>& shape, Granularity g, int64_t group) {
  const RowView rv = row_view(shape);
  const int64_t n = rv.rows * rv.cols;
  std::vector<Block> out;
  if (n == 0) return out;
  if ((g == Granularity::Group || g == Granularity::FlatBlock) && group < 1)
    throw InternalError("make_blocks: group size must be >= 1");
  switch (g) {
    case Granularity::Tensor:
      out.push_back({0, n});
      break;
    case Granularity::Channel:
      for (int64_t r = 0; r < rv.rows; ++r) out.push_back({r * rv.cols, rv.cols});
      break;
    case Granularity::Group:
      for (int64_t r = 0; r < rv.rows; ++r)
        for (int64_t c = 0; c < rv.cols; c += group)
          out.push_back({r * rv.cols + c, std::min(group, rv.cols - c)});
      break;
    case Granularity::FlatBlock:
      for (int64_t i = 0; i < n; i += group) out.push_back({i, std::min(group, n - i)});
      break;
  }
  return out;
}

int64_t block_count(const std::vector<int64_t>& shape, Granularity g, int64_t group) {
  const RowView rv = row_view(shape);
  const int64_t n = rv.rows * rv.cols;
  if (n == 0) return 0;
  switch (g) {
    case Granularity::Tensor: return 1;
    case Granularity::Channel: return rv.rows;
    case Granularity::Group: return rv.rows * ((rv.cols + group - 1) / group);
    case Granularity::FlatBlock: return (n + group - 1) / group;
  }
  return 0;
}

}  // namespace qspectra::quant
