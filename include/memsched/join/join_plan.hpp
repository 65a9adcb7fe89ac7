// Planning the backpropagation of a join graph under a slot budget: a DP over the forward-
// phase checkpoints of each branch and the order of the branch reversals, and the naive plan.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/join/join_graph.hpp"

namespace memsched::join {

/// A planned join schedule and the choices behind it.
struct JoinPlan {
  JoinSchedule schedule;
  std::int64_t forward_steps = 0;  ///< what simulate_join reports for `schedule`
  /// Per branch: the states stored during the forward phase and kept until that branch is
  /// reversed (besides its input), ascending.
  std::vector<std::vector<Step>> checkpoints;
  std::vector<std::int32_t> reverse_order;  ///< branches in the order they are reversed
  /// The turn: one Revolve over the steps [turn_start, L) of branch turn_branch, the join
  /// and the handle (turn_start = L: the handle alone, started from the stored outputs).
  std::int32_t turn_branch = 0;
  Step turn_start = 0;
  std::int64_t handle_slots = 0;  ///< the turn's Revolve snapshots, its start's included
};

/// The fewest forward steps over the three-phase schedules of Aupy, Beaumont, Herrmann &
/// Shilova (2019), for unit step costs and `slots` slots (branch inputs included):
/// (1) forward phase: each branch is run once, storing m_b checkpoints that persist until the
/// branch is reversed, and its output; one branch b*, run last, stops at a checkpoint p;
/// (2) turn: one Revolve over b*'s steps [p, L_b*), the join and the handle (a chain whose
/// join step reads the k - 1 stored outputs), with the slots left; p = L_b* reverses the
/// handle alone from the stored outputs; (3) backward phase: the branches (and b*'s prefix
/// [0, p)) are reversed one after the other, each by Revolve between its checkpoints, with
/// the slots the branches still waiting leave (the seeds' checkpoint persistence and
/// stability lemmas). The DP chooses b*, p, m_b, the positions (prepaid first-level Revolve
/// splits, G(l, s, m) = min_i [t(i, s) + G(l - i, s - 1, m - 1)], G(l, s, 0) = t(l, s),
/// Griewank & Walther 2000) and the reversal order (all k! orders, then a DP over the slots
/// held by the branches reversed later). With k = 1 it is Revolve on the chain of L + H steps.
/// docs/join.md compares it with the exhaustive optimum (equal on every small graph tried).
///
/// nullopt if no such schedule fits (about 2k - 1 slots are needed: the k inputs and k - 1
/// outputs). Throws std::invalid_argument if slots < 0.
/// Complexity O(sum_b L_b^2 c^2 + k! k^2 L_max c^2 (k c)) time, O(sum_b L_b c^2) memory:
/// meant for bounded k and moderate lengths (docs/benchmarks.md).
std::optional<JoinPlan> plan_join(const JoinGraph& graph, std::int64_t slots);

/// The naive plan: no checkpoint but the inputs and outputs in the forward phase, the handle
/// reversed by Revolve from the stored outputs, then each branch reversed separately by
/// Revolve, in index order, with the slots free at the time.
std::optional<JoinPlan> plan_join_naive(const JoinGraph& graph, std::int64_t slots);

}  // namespace memsched::join
