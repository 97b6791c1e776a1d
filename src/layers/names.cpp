#include "qspectra/layers/names.hpp"

#include <cctype>

namespace qspectra::layers {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// -1, 0, 1 comparing the digit runs a and b by value (leading zeros ignored).
int compare_numbers(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && is_digit(a[ie])) ++ie;
      while (je < b.size() && is_digit(b[je])) ++je;
      if (const int c = compare_numbers(a.substr(i, ie - i), b.substr(j, je - j)); c != 0) return c < 0;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;
}

std::optional<int64_t> block_index(std::string_view name) {
  for (std::string_view key : {"layers.", "h.", "blk."}) {
    for (std::size_t p = name.find(key); p != std::string_view::npos; p = name.find(key, p + 1)) {
      if (p > 0 && name[p - 1] != '.' && name[p - 1] != '/') continue;  // whole component
      std::size_t q = p + key.size(), e = q;
      int64_t v = 0;
      while (e < name.size() && is_digit(name[e]) && e - q < 18) v = v * 10 + (name[e++] - '0');
      if (e > q && (e == name.size() || name[e] == '.')) return v;
    }
  }
  return std::nullopt;
}

}  // namespace qspectra::layers
