// Choosing joint or split for every call of a call tree: the exact Pareto front of (time,
// peak) by a tree dynamic programme, the optimum under a byte budget, a grid heuristic with a
// proven lower bound for trees whose exact front is too large, and the smallest feasible peak.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// One assignment: its run time, its peak stack bytes, its joint calls (indices, increasing)
/// and, for every loop node whose snapshot count is a range, the count chosen (by increasing
/// call index; evaluate on with_loop_snapshots(tree, snapshots)).
struct CallTreePoint {
  double time = 0;
  Bytes peak = 0;
  std::vector<CallIndex> joint;
  std::vector<LoopChoice> snapshots;
};

/// Limits of the planners.
struct CallTreePlanOptions {
  /// Most (state, child state) pairs the dynamic programme may examine in all. Before each
  /// merge it multiplies the two Pareto set sizes; if the total would pass this, it stops and
  /// reports the count (std::length_error, or a fallback to the grid heuristic in
  /// plan_calltree). Memory stays O(largest Pareto set + 2^20 states) per merge.
  std::int64_t max_work = 20'000'000;
  /// Grid heuristic: cells per byte axis (budget / grid_cells bytes per cell), >= 1.
  std::int64_t grid_cells = 64;
};

/// The whole Pareto front of (time, peak) over every assignment that respects the pins (and
/// every snapshot count in the range of each loop node that has one), by
/// increasing time (and strictly decreasing peak), each point with one assignment reaching it.
/// Exact: a tree dynamic programme over Pareto sets of (extra time, bytes pushed, peak)
/// (docs/calltree.md, "Planning"); it equals exhaustive search. The first point is the
/// fastest assignment, the last one reaches the smallest peak of any assignment.
/// Throws std::length_error naming the work count when it would pass options.max_work and
/// std::invalid_argument for bad options. Pseudo-polynomial; fast when sets stay small.
std::vector<CallTreePoint> calltree_front(const CallTree& tree,
                                          const CallTreePlanOptions& options = {});

/// The result of planning under a budget. An infeasible budget is a value, not an error.
struct CallTreePlan {
  bool feasible = false;  ///< an assignment with peak <= budget was found
  bool optimal = false;   ///< the assignment is proven fastest under the budget
  CallTreePoint best;     ///< the assignment (valid when feasible); time and peak re-evaluated
  /// A proven lower bound on the fastest time under the budget (= best.time when optimal).
  double time_lower_bound = 0;
  /// The smallest peak of any assignment (the smallest feasible budget) when
  /// min_peak_exact, otherwise a proven lower bound of it; computed when infeasible.
  Bytes min_peak = 0;
  bool min_peak_exact = false;
  /// A peak some assignment reaches: an upper bound of the smallest feasible budget.
  Bytes min_peak_upper = 0;
  std::string method;  ///< "exact" or "grid"
};

/// The fastest assignment with peak <= budget_bytes: the exact dynamic programme (pruning
/// states whose peak passes the budget), or, when that would pass options.max_work, the grid
/// heuristic (plan_calltree_grid). Throws std::invalid_argument for a negative budget or bad
/// options, std::length_error if the grid heuristic too would pass max_work.
CallTreePlan plan_calltree(const CallTree& tree, Bytes budget_bytes,
                           const CallTreePlanOptions& options = {});

/// The grid heuristic: the same dynamic programme with every Pareto set thinned to one state
/// (the fastest) per cell of budget / grid_cells bytes in each byte axis, on true values, so
/// the assignment it returns is feasible and its cost exact; and a second run on values rounded
/// down to the grid, a relaxation whose optimum is a proven lower bound on the true optimum.
/// optimal is true when the two meet. Sets hold at most grid_cells^2 states.
/// Throws std::length_error when it would pass options.max_work.
CallTreePlan plan_calltree_grid(const CallTree& tree, Bytes budget_bytes,
                                const CallTreePlanOptions& options = {});

/// The smallest peak of any assignment (exact when the programme that ignores time fits in
/// options.max_work) with an assignment reaching it; otherwise grid bounds. `lower` = `upper`
/// when exact.
struct CallTreePeakBounds {
  Bytes lower = 0;
  Bytes upper = 0;
  bool exact = false;
  std::vector<CallIndex> joint;       ///< an assignment whose peak is `upper`
  std::vector<LoopChoice> snapshots;  ///< with these loop snapshot counts
};
CallTreePeakBounds calltree_min_peak(const CallTree& tree, const CallTreePlanOptions& options = {});

}  // namespace memsched
