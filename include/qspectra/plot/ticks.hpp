#pragma once
// Axis ticks: "nice" linear steps (1, 2, 5 x 10^k) and log10 axes with decade ticks and minor ticks
// at 2..9 x 10^k.
#include <string>
#include <vector>

namespace qspectra::plot {

struct Tick {
  double value = 0;
  std::string label;  // empty for an unlabelled minor tick
  bool major = true;
};

struct AxisRange {
  double lo = 0, hi = 1;
};

// The 1/2/5 x 10^k step nearest (on a log scale) to span / target.
double nice_step(double span, int target = 5);

// [lo, hi] widened outward to multiples of the nice step (a zero-width range gets a unit width).
AxisRange nice_linear_range(double lo, double hi, int target = 5);

// Major ticks every nice step inside [lo, hi] (inclusive, with a little tolerance), labelled with as
// many decimals as the step needs.
std::vector<Tick> linear_ticks(double lo, double hi, int target = 5);

// [lo, hi] (both > 0) widened outward to whole decades: [10^floor(log10 lo), 10^ceil(log10 hi)].
AxisRange log_decade_range(double lo, double hi);

// Ticks of a log10 axis over [lo, hi] (both > 0): a major tick at every power of ten (labelled
// "10^k"; every 2nd/3rd decade labelled when there are many), minor ticks at 2..9 x 10^k. When the
// range holds fewer than two decades, the minors at 2 and 5 are labelled too.
std::vector<Tick> log_ticks(double lo, double hi);

// A tick label number: shortest fixed notation for `decimals` places, or 1.5e-07 style when tiny/huge.
std::string format_tick_number(double v, int decimals);

}  // namespace qspectra::plot
