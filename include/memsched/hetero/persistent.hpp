// The optimal persistent schedule of a heterogeneous chain under a byte budget (rotor's dynamic
// program, Beaumont et al. 2019, made exact and fast) and the memory-time curve it yields.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched {

/// How the persistent planner discretises memory and which feasibility checks it applies.
struct PersistentOptions {
  /// M: the budget is cut into M units of floor(budget / M) bytes (1 byte if the budget is
  /// smaller than M) and every size is rounded *up* to whole units, so a plan never exceeds the
  /// budget in exact bytes; it may miss a schedule that fits only without rounding. rotor's
  /// default is 500. Ignored when `exact` is set. Must be >= 1.
  std::int64_t num_units = 500;
  /// Byte-exact optimum: the unit is the greatest common divisor of all sizes, so nothing is
  /// rounded. Meant for small chains or sizes with a large common divisor; throws
  /// std::invalid_argument if the table would exceed `max_table_bytes`.
  bool exact = false;
  /// Use this unit (bytes) instead of deriving it from num_units or exact; 0 = derive. Lets a
  /// point of memory_time_curve() be re-planned with the very same rounding.
  Bytes unit_bytes = 0;
  /// Reproduce rotor v0.1's recurrence verbatim, including its conservative check of the
  /// recording forward (quirk Q2 of docs/heterogeneous.md). Off: the exact check, which finds
  /// every schedule rotor finds and some it calls infeasible.
  bool rotor_compatible = false;
  /// Threads computing the table, 1 = none, at most 4 used: the 4 columns of each tile in a
  /// pipeline (docs/heterogeneous.md, "Speed"). The result does not depend on it. Two threads on
  /// a 2-core machine: L = 500, M = 1000 in 1.7 s wall against 3.2 s; L = M = 1000 in 21 s
  /// against 31 s.
  int num_threads = 1;
  /// Upper bound on the dynamic-programming table; std::invalid_argument beyond it.
  std::int64_t max_table_bytes = std::int64_t{1} << 30;
  /// Upper bound on the table's worst-case work, L^3 (M + 1) / 6 cell updates for L stages and
  /// M units; std::invalid_argument beyond it (2e10: tens of seconds in a Debug build).
  double max_table_operations = 2e10;
};

/// A persistent schedule and what the planner knows about it.
struct HeteroPlan {
  HeteroSchedule schedule;
  double makespan = 0.0;       ///< its time (simulate() reports the same)
  Bytes unit_bytes = 1;        ///< the memory unit used
  std::int64_t num_units = 0;  ///< budget / unit_bytes: the units the DP could use
};

/// The fastest persistent schedule (every stored input stays until its stage's backward, rotor's
/// class) whose peak memory, in exact bytes, is at most `budget_bytes`; nullopt if no persistent
/// schedule fits once sizes are rounded to units. Budget and peak count everything: x_0, stored
/// activations and tapes, gradients, temporaries (docs/heterogeneous.md). A budget of at least
/// chain.store_all_peak() gets the store-all schedule (minimal makespan) without a table, decided
/// in exact bytes whatever the units (not with rotor_compatible, which reproduces rotor).
///
/// Time O(M·L³) worst case with pruning of saturated memory ranges, exact block bounds on the
/// split candidates, and an inner loop over memory that the compiler vectorises; memory
/// O(M·L²) doubles at most (less: each interval only stores the memory range where its value
/// still changes) plus one float per 32 memory values per interval for the block bounds (two
/// with num_threads > 1). Throws
/// std::invalid_argument on a negative budget, num_units < 1, or a table above
/// options.max_table_bytes or options.max_table_operations, before allocating it.
///
///     HeteroChain chain({{1, 2, 2, 3, 0, 0}, {4, 8, 1, 6, 0, 0}, {2, 4, 3, 2, 0, 0}}, {1, 0, 0});
///     PersistentOptions exact;
///     exact.exact = true;
///     auto plan = plan_persistent(chain, 13, exact);
///     // plan->makespan == 26, to_string(plan->schedule) == "CF_0 CF_1 Fe_2 L B_2 Fe_1 B_1 Fe_0
///     B_0"
std::optional<HeteroPlan> plan_persistent(const HeteroChain& chain, Bytes budget_bytes,
                                          const PersistentOptions& options = {});

/// One point of the memory-time curve: with `budget_bytes` or more (up to the next point) the
/// optimal persistent makespan is `makespan`.
struct CurvePoint {
  Bytes budget_bytes = 0;
  double makespan = 0.0;

  friend bool operator==(const CurvePoint& a, const CurvePoint& b) noexcept {
    return a.budget_bytes == b.budget_bytes && a.makespan == b.makespan;
  }
};

/// The optimal persistent makespan for every budget from the smallest feasible one to
/// store_all_peak() (where it reaches minimal_makespan()), as the list of points where it drops,
/// budgets increasing, from one table: the cost of one plan_persistent call. With
/// options.exact the budgets are exact; otherwise the unit is store_all_peak() / num_units and
/// each point is a budget at which a plan is guaranteed (the true breakpoint may be lower by
/// less than the rounding). Same exceptions as plan_persistent.
std::vector<CurvePoint> memory_time_curve(const HeteroChain& chain,
                                          const PersistentOptions& options = {});

}  // namespace memsched
