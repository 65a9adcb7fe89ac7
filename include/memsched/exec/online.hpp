// The executor's adapter for online planners: an OnlinePlanner (plan/online_planner.hpp) as
// the action stream of a run whose length is unknown until its forward sweep ends.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "memsched/chain/schedule.hpp"
#include "memsched/plan/online_planner.hpp"

namespace memsched {

/// Drives `planner` (not owned; outlives the schedule) for the executor: during the forward
/// sweep next() yields the planner's actions for x_i (begin_step()), then Forward(i, i + 1),
/// never Reverse or EndForward and never nullopt; once the chain has ended at x_n (the
/// working state) and the last yielded action was executed, finish(n) asks the planner for its
/// reversal, which next() then yields (EndForward, ..., EndReverse). AdjointExecutor and
/// run_adjoint_online (model.hpp) build one; to plug in a new online planner, implement
/// OnlinePlanner. Throws std::invalid_argument if the planner has begun steps;
/// std::logic_error if finish(n) does not match the steps yielded.
class OnlineSchedule final : public ActionStream {
 public:
  explicit OnlineSchedule(OnlinePlanner& planner);
  std::optional<Action> next() override;
  /// The forward sweep ended with the working state x_n (n >= 1). Called once.
  void finish(Step num_steps);

 private:
  OnlinePlanner* planner_;
  Schedule pending_;
  std::size_t pending_head_ = 0;
  std::unique_ptr<ActionStream> reversal_;
};

}  // namespace memsched
