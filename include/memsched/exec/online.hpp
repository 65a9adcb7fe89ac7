// Schedules for chains whose length is unknown until the forward sweep ends (adaptive time
// stepping, "run until converged"): the hook online planners plug into, and two simple ones.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "memsched/chain/schedule.hpp"

namespace memsched {

namespace detail {
class SegmentedReversal;
}

/// An online schedule: during the forward sweep next() yields Forward actions of one step
/// and the stores the planner decides (Copy/Move/Free), never Reverse or EndForward and never
/// nullopt. When the chain has ended at x_n (the working state), the executor calls
/// finish(n) after the last yielded action was executed; from then on next() yields the rest
/// of the schedule (restores, recomputation, EndForward, Reverse, ..., EndReverse), which must
/// be legal for the simulator on a chain of n steps given the checkpoints stored so far.
///
/// This is the plug-in point for online checkpointing planners (Stumm-Walther, Wang-Moin-
/// Iaccarino dynamic checkpointing): implement it and hand it to run_adjoint_online().
class OnlineSchedule : public ActionStream {
 public:
  /// The forward sweep ended with the working state x_n (n >= 1). Called once.
  virtual void finish(Step num_steps) = 0;
};

/// Online periodic checkpointing: stores x_0, x_k, x_2k, ... on `level` while fewer than
/// `slots` are held, then stops storing; at the end each segment is reversed, last first, by
/// Revolve with the slots left (the segment's own start included), as PeriodicStream does.
/// Forward steps: n + sum over segments of Revolve's. Throws std::invalid_argument if
/// period < 1 or slots < 1.
class OnlinePeriodic final : public OnlineSchedule {
 public:
  OnlinePeriodic(Step period, std::int64_t slots, Place level = 0);
  ~OnlinePeriodic() override;
  std::optional<Action> next() override;
  void finish(Step num_steps) override;

 private:
  Step period_;
  std::int64_t slots_;
  Place level_;
  Step step_ = 0;  // the working state's step during the forward sweep
  bool store_pending_ = true;
  std::int64_t stored_ = 0;
  std::unique_ptr<detail::SegmentedReversal> reversal_;  // null during the forward sweep
};

/// Online Revolve: stores only x_0 during the forward sweep; at the end restores it and runs
/// Revolve with `slots` slots on the n steps now known (n + n + t(n, slots) forward steps: the
/// first sweep is run twice). A baseline until a true online planner is available. Throws
/// std::invalid_argument if slots < 1.
class OnlineRevolve final : public OnlineSchedule {
 public:
  explicit OnlineRevolve(std::int64_t slots, Place level = 0);
  ~OnlineRevolve() override;
  std::optional<Action> next() override;
  void finish(Step num_steps) override;

 private:
  std::int64_t slots_;
  Place level_;
  Step step_ = 0;
  bool stored_ = false;
  bool restore_pending_ = false;
  std::unique_ptr<ActionStream> revolve_;
};

}  // namespace memsched
