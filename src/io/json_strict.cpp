#include "json_strict.hpp"

#include <unordered_set>
#include <vector>

#include "qspectra/core/error.hpp"

namespace qspectra::io::detail {
namespace {

using json = nlohmann::json;

// First pass: structure checks only. Keeps one key set per open object, so the cost is linear
// in the text and independent of any sizes the JSON declares.
class StrictnessCheck : public nlohmann::json_sax<json> {
public:
  StrictnessCheck(int max_depth, std::size_t max_values) : max_depth_(max_depth), max_values_(max_values) {}
  std::string error;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    if (!value()) return false;
    objects_.emplace_back();
    return enter();
  }
  bool key(string_t& k) override {
    if (!objects_.back().insert(k).second) return fail("duplicate key \"" + k + "\"");
    return true;
  }
  bool end_object() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return value() && enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    return fail("invalid JSON: " + strip_nlohmann_prefix(ex.what()));
  }

private:
  bool value() {
    if (++values_ > max_values_)
      return fail("JSON holds more than " + std::to_string(max_values_) + " values; refused before it is built in memory");
    return true;
  }
  bool enter() {
    if (++depth_ > max_depth_) return fail("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    return true;
  }
  bool fail(std::string msg) {
    if (error.empty()) error = std::move(msg);
    return false;
  }
  int max_depth_;
  std::size_t max_values_;
  std::size_t values_ = 0;
  int depth_ = 0;
  std::vector<std::unordered_set<std::string>> objects_;
};

}  // namespace

std::string strip_nlohmann_prefix(const std::string& what) {
  if (!what.empty() && what[0] == '[') {
    auto close = what.find("] ");
    if (close != std::string::npos) return what.substr(close + 2);
  }
  return what;
}

bool is_valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = s[i];
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

nlohmann::json parse_json_strict(std::string_view text, const std::string& label, int max_depth,
                                 const json::parser_callback_t& callback, std::size_t max_values) {
  if (!is_valid_utf8(text)) throw InputError(label, "JSON is not valid UTF-8");
  StrictnessCheck check(max_depth, max_values);
  try {
    if (!json::sax_parse(text.begin(), text.end(), &check))
      throw InputError(label, check.error.empty() ? "invalid JSON" : check.error);
    return json::parse(text.begin(), text.end(), callback);
  } catch (const json::exception& e) {
    throw InputError(label, "invalid JSON: " + strip_nlohmann_prefix(e.what()));
  }
}

}  // namespace qspectra::io::detail
