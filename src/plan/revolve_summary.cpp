// Revolve's simulation report without streaming its actions: a memoised recursion over the
// binomial controller's decisions (binomial_reversal.cpp).
#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "memsched/plan/binomial.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {

namespace {

// The counts of reversing m steps from a stored x_a (the top snapshot, in the working buffer)
// with d snapshots for the range, x_a's included, until the adjoint front reaches x_a.
struct Counts {
  std::int64_t writes = 0;
  std::int64_t reads = 0;
  std::int64_t advance_actions = 0;
  std::int64_t peak = 0;  // snapshots added above x_a at once
};

class Recursion {
 public:
  explicit Recursion(std::size_t limit) : limit_(limit) {}

  // The controller (binomial_reversal.cpp): with d >= 2 it advances by the largest optimal
  // split i (Griewank & Walther, ACM TOMS 2000, Prop. 1; optimal_advances), with d = 1 to the
  // step before the front. If that reaches the step before the front it records and reverses
  // it, restores x_a and goes on with m - 1 steps; otherwise it stores x_{a+i}, reverses
  // [a+i, a+m) with d - 1 snapshots, restores x_a and reverses [a, a+i) with d.
  // Iterative over the m - 1 chain of the first case, recursive (depth <= d + r) otherwise.
  std::optional<Counts> counts(Step m, std::int64_t d) {
    Counts total;
    while (m > 1) {
      if (d < 2) {
        // One snapshot: advance to the step before the front, reverse it, restore, m - 1 times.
        total.advance_actions += m - 1;
        total.reads += m - 1;
        break;
      }
      const Step i = d >= 2 ? optimal_advances(m, d).hi : m - 1;
      if (i == m - 1) {
        total.advance_actions += 1;
        total.reads += 1;
        m -= 1;
        continue;
      }
      const auto key = std::make_pair(m, d);
      const auto found = memo_.find(key);
      Counts here;
      if (found != memo_.end()) {
        here = found->second;
      } else {
        // Each level of recursion takes a slot: with slots near n the depth would be n.
        if (memo_.size() >= limit_ || depth_ >= kMaxDepth) return std::nullopt;
        ++depth_;
        const std::optional<Counts> upper = counts(m - i, d - 1);
        const std::optional<Counts> lower = upper ? counts(i, d) : std::nullopt;
        --depth_;
        if (!lower) return std::nullopt;
        here.writes = 1 + upper->writes + lower->writes;
        here.reads = upper->reads + 1 + lower->reads;
        here.advance_actions = 1 + upper->advance_actions + lower->advance_actions;
        here.peak = std::max(1 + upper->peak, lower->peak);
        memo_.emplace(key, here);
      }
      total.writes += here.writes;
      total.reads += here.reads;
      total.advance_actions += here.advance_actions;
      total.peak = std::max(total.peak, here.peak);
      break;
    }
    return total;
  }

 private:
  // Deeper recursions (slots near n) give no summary and the caller streams instead: 2000
  // frames stay well inside an 8 MiB stack even with sanitizers' larger frames.
  static constexpr int kMaxDepth = 2000;
  std::size_t limit_;
  int depth_ = 0;
  std::map<std::pair<Step, std::int64_t>, Counts> memo_;
};

}  // namespace

std::optional<SimulationReport> revolve_summary(const Chain& chain, const Platform& platform,
                                                std::size_t max_subproblems) {
  const Step n = chain.num_steps();
  const std::int64_t slots = std::min<std::int64_t>(platform.fastest_slots(), n);
  if (!chain.is_uniform() || (n > 1 && slots == 0)) return std::nullopt;
  const std::int64_t forward_steps = revolve_forward_steps(n, slots);  // throws on overflow
  SimulationReport report;
  report.levels.resize(platform.num_levels());
  if (n > 1) {
    const std::optional<Counts> counts = Recursion(max_subproblems).counts(n, slots);
    if (!counts) return std::nullopt;
    // x_0 is stored first: one more write and one more snapshot at the peak.
    report.levels[0].writes = 1 + counts->writes;
    report.levels[0].reads = counts->reads;
    report.levels[0].peak = 1 + counts->peak;
    report.num_actions = report.levels[0].writes + counts->reads + counts->advance_actions;
  }
  // n recording runs, n adjoint steps, EndForward and EndReverse.
  report.num_actions += 2 * n + 2;
  report.forward_steps = forward_steps;
  report.recorded_steps = n;
  report.adjoint_steps = n;
  report.reverse_sweeps = 1;
  report.peak_work_tapes = 1;
  const StorageLevel& level = platform.level(0);
  report.cost = chain.forward_cost(0, 1) * static_cast<double>(forward_steps) +
                chain.adjoint_cost(0, n) +
                level.write_cost * static_cast<double>(report.levels[0].writes) +
                level.read_cost * static_cast<double>(report.levels[0].reads);
  return report;
}

}  // namespace memsched
