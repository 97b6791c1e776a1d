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
nlohmann::json parse_json_strict(std::string_view text, const std::string& label, int max_depth = 32,
                                 const nlohmann::json::parser_callback_t& callback = nullptr);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace qspectra::io::detail
