// Planning the backpropagation of a join graph under a slot budget: a DP over the forward-
// phase checkpoints of each branch and the order of the branch reversals, and the naive plan.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/join/graph.hpp"

namespace memsched {

/// A planned join schedule and the choices behind it.
struct JoinPlan {
  JoinSchedule schedule;
  std::int64_t forward_steps = 0;  ///< what simulate_join reports for `schedule`
  /// Per branch: the states stored during the forward phase and kept until that branch is
  /// reversed (besides its input), ascending.
  std::vector<std::vector<Step>> checkpoints;
  std::vector<std::int32_t> reverse_order;  ///< branches in the order they are reversed
  /// The turn: the reversal of the steps [turn_start, L) of branch turn_branch, the join and
  /// the handle (turn_start = L: the handle alone, started from the stored outputs).
  std::int32_t turn_branch = 0;
  Step turn_start = 0;
  /// Slots of the turn: x_turn_start, the other branches' outputs while stored, snapshots.
  std::int64_t turn_slots = 0;
  /// How often the turn drops the other branches' outputs and recomputes them from their last
  /// checkpoint (the last entry of `checkpoints`, or the input) before running the join again.
  std::int64_t recomputations = 0;
};

/// The fewest forward steps over the three-phase schedules of Aupy, Beaumont, Herrmann &
/// Shilova (2019), as presented in the seeds, extended in the turn (docs/join.md), for unit
/// step costs and `slots` slots (branch inputs included):
/// (1) forward phase: each branch is run once, storing m_b checkpoints that persist until the
/// branch is reversed, and its output; one branch b*, run last, stops at a checkpoint p;
/// (2) turn: the chain made of b*'s steps [p, L_b*), the join and the handle is reversed by a
/// Revolve-like recursion in which the k - 1 other outputs are either kept stored or dropped
/// and recomputed (from each branch's last persistent checkpoint) before a later run of the
/// join, and in which b*'s steps get the outputs' slots once the join is reversed;
/// (3) backward phase: the branches (and b*'s prefix [0, p)) are reversed one after the other,
/// each by Revolve between its checkpoints, with the slots the branches still waiting leave
/// (the seeds' checkpoint persistence and stability lemmas). The DP chooses b*, p, m_b, the
/// positions (prepaid first-level Revolve splits, G(l, s, m) = min_i [t(i, s) + G(l - i, s - 1,
/// m - 1)], G(l, s, 0) = t(l, s), Griewank & Walther 2000), the turn's recursion and the number
/// j <= H of recomputations (a branch whose output is recomputed pays j times its last
/// interval), and the reversal order (all k! orders, then a DP over the slots held by the
/// branches reversed later). With k = 1 it is Revolve on the chain of L + H steps.
/// It equals the exhaustive optimum on every small graph tried (docs/join.md).
///
/// nullopt if no such schedule fits (about 2k - 1 slots are needed: the k inputs and k - 1
/// outputs). Throws std::invalid_argument if slots < 0, and std::length_error, before
/// allocating, if the bounds below (with J = H) exceed 2e10 operations or 1 GiB of tables.
/// Complexity, L = max L_b, c = slots, J <= H recomputation layers: O(J c H L (log L + H))
/// for the turn's table, O(k L^2 c^2 + k J L c^2) for the branch tables, O(k! k^2 L c^3 J) for
/// the choice; memory O(J c H L + k L c^2). Meant for bounded k and moderate lengths
/// (times in docs/benchmarks.md, "Join graphs").
std::optional<JoinPlan> plan_join(const JoinGraph& graph, std::int64_t slots);

/// The naive plan: no checkpoint but the inputs and outputs in the forward phase, the handle
/// reversed by Revolve from the stored outputs, then each branch reversed separately by
/// Revolve, in index order, with the slots free at the time.
std::optional<JoinPlan> plan_join_naive(const JoinGraph& graph, std::int64_t slots);

}  // namespace memsched
