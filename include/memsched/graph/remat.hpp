// Rematerialization under a byte budget (Checkmate's problem): any node may be computed several
// times; find the fastest schedule whose peak stays within the budget.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/simulate.hpp"

namespace memsched::graph {

/// A schedule of compute and free steps and what is known about it.
struct RematPlan {
  GraphSchedule schedule;
  double time = 0.0;         ///< sum of the times of all computes (simulate() agrees)
  Bytes peak = 0;            ///< simulate(graph, schedule).peak, at most the budget
  bool optimal = false;      ///< time is proved minimal for the budget
  double lower_bound = 0.0;  ///< no schedule within the budget is faster
};

/// Limits of the exact searches.
struct ExactRematOptions {
  /// Largest number of resident sets the search may visit; beyond it it refuses.
  std::int64_t max_states = 4'000'000;
};

/// The largest graph remat_exact and min_feasible_budget accept (they search over sets of
/// resident outputs, up to 2^n of them).
inline constexpr NodeIndex kMaxExactRematNodes = 40;

/// The fastest schedule with peak <= budget_bytes, or nullopt if none exists. A* search over the
/// sets of resident outputs (a state is what is resident; compute(v) costs time(v); frees are
/// free), with the sum of the times of the sinks not yet resident as the admissible estimate.
/// The result is optimal among all schedules of compute and free steps (recomputation allowed,
/// no restriction on the order). Throws std::invalid_argument for a negative budget, more than
/// kMaxExactRematNodes nodes (with the 2^n estimate), or when more than options.max_states
/// states are visited.
std::optional<RematPlan> remat_exact(const Graph& graph, Bytes budget_bytes,
                                     const ExactRematOptions& options = {});

/// The smallest budget for which some schedule exists (recomputation allowed), by a bottleneck
/// search over resident sets: minimise the largest memory along the way. Same limits and
/// exceptions as remat_exact. At least peak_lower_bound and at most min_peak_exact's peak.
Bytes min_feasible_budget(const Graph& graph, const ExactRematOptions& options = {});

/// The most computes per node remat_greedy performs before giving up.
inline constexpr std::int64_t kGreedyComputesPerNode = 64;

/// A fast baseline for any size: follow min_peak_heuristic's order; before each node, bring its
/// inputs back (recomputing them recursively when they were evicted; inputs of the nodes in
/// progress are pinned) and, when the budget would be exceeded, evict an unpinned non-sink
/// output: first those with no further use, then the least (time to rebuild it) / (bytes x
/// distance to its next use), after DTR's score (Kirisame et al., ICLR 2021). Returns nullopt
/// if it finds no schedule, or gives up after kGreedyComputesPerNode * n computes (recomputing
/// evicted ancestors along every path can take exponential time); another schedule may still
/// exist. lower_bound is the graph's total time (every node at least once); optimal is set when
/// nothing is recomputed. O(computes * (resident outputs + degree)).
std::optional<RematPlan> remat_greedy(const Graph& graph, Bytes budget_bytes);

/// One point of a memory-time curve: with a budget of `budget_bytes` (up to the next point) the
/// time is `time`.
struct RematCurvePoint {
  Bytes budget_bytes = 0;
  double time = 0.0;
  bool optimal = false;

  friend bool operator==(const RematCurvePoint& a, const RematCurvePoint& b) noexcept {
    return a.budget_bytes == b.budget_bytes && a.time == b.time && a.optimal == b.optimal;
  }
};

/// The exact memory-time curve: every budget where remat_exact's time drops, from
/// min_feasible_budget to the budget where the time reaches total_time(), found by bisection on
/// budgets with remat_exact. Same limits as remat_exact.
std::vector<RematCurvePoint> remat_curve_exact(const Graph& graph,
                                               const ExactRematOptions& options = {});

/// The greedy memory-time curve: remat_greedy at `num_points` budgets evenly spaced from
/// peak_lower_bound to min_peak_heuristic's peak (where nothing is recomputed), keeping the
/// points where the time drops. Throws std::invalid_argument if num_points < 2 or > 10^4.
std::vector<RematCurvePoint> remat_curve_greedy(const Graph& graph, std::int64_t num_points = 32);

}  // namespace memsched::graph
