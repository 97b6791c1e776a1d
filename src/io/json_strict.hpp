#pragma once
// Strict JSON for untrusted headers, index files and config.json (private to the io module).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qspectra::io::detail {

// Parse `text` as JSON, rejecting what a plain parse would accept silently or dangerously: invalid
// UTF-8, duplicate keys at any level (nlohmann keeps the last one), nesting deeper than `max_depth`.
// Every failure is an InputError(label, ...); no nlohmann exception escapes.
// `callback` (optional) sees the parse events in document order, e.g. to recover key order.
// A text with more than `max_values` values (objects, arrays and scalars) is refused by the first,
// streaming pass, before any tree is built: a tree costs ~16-100 bytes per value, whatever the text's
// length (`[{},{},...]` is 3 bytes a value), so this bounds memory. A safetensors header lists each
// tensor with ~8 values: the default admits ~260,000 tensors per file.
inline constexpr std::size_t kMaxJsonValues = std::size_t{1} << 21;
nlohmann::json parse_json_strict(std::string_view text, const std::string& label, int max_depth = 32,
                                 const nlohmann::json::parser_callback_t& callback = nullptr,
                                 std::size_t max_values = kMaxJsonValues);

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ..."
std::string strip_nlohmann_prefix(const std::string& what);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace qspectra::io::detail
