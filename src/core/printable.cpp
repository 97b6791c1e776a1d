#include "qspectra/core/printable.hpp"

#include <cstdio>

namespace qspectra {

std::string printable(std::string_view s, std::size_t max_bytes) {
  const std::size_t keep = s.size() > max_bytes ? max_bytes : s.size();
  std::string out;
  out.reserve(keep + 16);
  for (std::size_t i = 0; i < keep; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  if (keep < s.size()) out += "... (" + std::to_string(s.size() - keep) + " more bytes)";
  return out;
}

}  // namespace qspectra
