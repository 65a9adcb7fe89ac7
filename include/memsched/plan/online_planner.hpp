// The protocol every online planner implements (the chain length is revealed at the end), and
// simulated arrival, which drives one over a known length as an ActionStream. The executor
// drives one through its own adapter (exec/online.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "memsched/chain/schedule.hpp"

namespace memsched {

/// Whether the end of the forward run is known before or after its last step runs.
enum class OnlineEnd : std::uint8_t {
  kAfterLastStep,   ///< a convergence test: the last step runs unrecorded, then is re-run
  kBeforeLastStep,  ///< a fixed final time: the last step runs with recording
};

/// An online planner: decides what to keep as steps arrive, and plans the reversal once the
/// end of the forward run is announced. With x_0 in the working buffer:
///
///     while (true) {
///       execute(planner.begin_step());  // stores and releases; then run step i unrecorded
///       if (converged) break;
///     }
///     std::unique_ptr<ActionStream> reversal = planner.finish();  // EndForward ... EndReverse
///
/// or, when step i is known to be the last before it runs, execute(begin_last_step()) and run
/// it with recording. Implementations throw std::logic_error when called out of protocol.
///
/// Implemented by OnlineCheckpointer (plan/online.hpp), OnlineTwoLevel
/// (plan/online_two_level.hpp) and the baselines OnlinePeriodic and OnlineRevolve
/// (plan/online_baselines.hpp); OnlinePlannerStream runs one on a known length, and the
/// executor runs one with run_adjoint_online (exec/model.hpp).
class OnlinePlanner {
 public:
  virtual ~OnlinePlanner() = default;
  /// The caller holds x_i (i = steps_begun()) and will run step i without recording: the
  /// actions to apply first.
  virtual Schedule begin_step() = 0;
  /// The caller holds x_i and step i is the last: the actions to apply before running it with
  /// recording.
  virtual Schedule begin_last_step() = 0;
  /// The forward run ended with the last step begun: the reversal, from EndForward to
  /// EndReverse, releasing every checkpoint. Once only.
  virtual std::unique_ptr<ActionStream> finish() = 0;
  /// Steps begun so far.
  virtual Step steps_begun() const noexcept = 0;
};

/// Simulated arrival: drives `planner` over `num_steps` steps, revealing the length only when
/// the forward run ends, and emits the whole schedule. Consecutive forward steps without an
/// action between them are merged into one Forward. Throws std::invalid_argument if
/// num_steps < 1 or the planner is null or has begun steps.
class OnlinePlannerStream final : public ActionStream {
 public:
  OnlinePlannerStream(std::unique_ptr<OnlinePlanner> planner, Step num_steps,
                      OnlineEnd end = OnlineEnd::kAfterLastStep);
  std::optional<Action> next() override;

 private:
  std::unique_ptr<OnlinePlanner> planner_;
  Step num_steps_;
  OnlineEnd end_;
  Schedule pending_;  // actions decided but not yet emitted, from pending_head_ on
  std::size_t pending_head_ = 0;
  Step run_start_ = 0;  // the forward run from x_run_start_ is not emitted yet
  std::unique_ptr<ActionStream> reversal_;
};

}  // namespace memsched
