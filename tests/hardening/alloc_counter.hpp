#pragma once
// Counts the bytes this test binary allocates through operator new (replaced in
// memory_budget_test.cpp), so the denial-of-service tests can check a memory budget without
// setrlimit (RLIMIT_AS does not work under ASan). Counting works in every build.
#include <cstddef>
#include <cstdint>

namespace qspectra::testing {

std::size_t allocated_now();   // bytes currently held via operator new
std::size_t allocated_peak();  // high-water mark since the last reset_peak()
void reset_peak();             // peak := now

// Peak bytes allocated while the scope lives, above what was held when it began.
class AllocScope {
public:
  AllocScope() : base_(allocated_now()) { reset_peak(); }
  std::size_t peak_extra() const { return allocated_peak() - base_; }

private:
  std::size_t base_;
};

}  // namespace qspectra::testing
