// Two simple online planners, baselines for OnlineCheckpointer: periodic stores while slots
// last, and Revolve once the length is known.
#pragma once

#include <cstdint>
#include <memory>

#include "memsched/chain/schedule.hpp"
#include "memsched/plan/online_planner.hpp"

namespace memsched {

/// Online periodic checkpointing: stores x_0, x_k, x_2k, ... on `level` while fewer than
/// `slots` are held, then stops storing; at the end each segment is reversed, last first, by
/// Revolve with the slots left (the segment's own start included), as PeriodicStream does.
/// Forward steps: n + sum over segments of Revolve's. With begin_last_step() the last step's
/// state is not stored and the reversal starts with that step's adjoint. Throws
/// std::invalid_argument if period < 1 or slots < 1; std::logic_error when called out of
/// protocol (OnlinePlanner).
class OnlinePeriodic final : public OnlinePlanner {
 public:
  OnlinePeriodic(Step period, std::int64_t slots, Place level = 0);

  Schedule begin_step() override;
  Schedule begin_last_step() override;
  std::unique_ptr<ActionStream> finish() override;
  Step steps_begun() const noexcept override { return steps_; }

 private:
  Step period_;
  std::int64_t slots_;
  Place level_;
  Step steps_ = 0;
  std::int64_t stored_ = 0;
  bool last_step_recorded_ = false;
  bool finished_ = false;
};

/// Online Revolve: stores only x_0 during the forward sweep; at the end restores it and runs
/// Revolve with `slots` slots on the n steps now known (n + n + t(n, slots) forward steps: the
/// first sweep is run twice). A baseline for OnlineCheckpointer. Throws std::invalid_argument
/// if slots < 1; std::logic_error when called out of protocol (OnlinePlanner).
class OnlineRevolve final : public OnlinePlanner {
 public:
  explicit OnlineRevolve(std::int64_t slots, Place level = 0);

  Schedule begin_step() override;
  Schedule begin_last_step() override;
  std::unique_ptr<ActionStream> finish() override;
  Step steps_begun() const noexcept override { return steps_; }

 private:
  std::int64_t slots_;
  Place level_;
  Step steps_ = 0;
  bool last_step_recorded_ = false;
  bool finished_ = false;
};

}  // namespace memsched
