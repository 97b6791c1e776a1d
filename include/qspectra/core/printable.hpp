#pragma once
// Untrusted text (tensor names, file contents echoed in errors) made safe for one line of a terminal
// or log: control bytes escaped, length capped.
#include <cstddef>
#include <string>
#include <string_view>

namespace qspectra {

// `s` with NUL, newline, tab and every other control byte (and DEL) written as \0 \n \t \xNN, and
// backslashes kept as they are; at most `max_bytes` bytes of `s` are kept, followed by
// "... (N more bytes)" when it was longer.
std::string printable(std::string_view s, std::size_t max_bytes = 2000);

}  // namespace qspectra
