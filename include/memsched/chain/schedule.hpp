// Schedules: a stored list of actions, or a lazy stream of them for very long chains.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/chain/action.hpp"

namespace memsched {

class Simulator;

/// A schedule held in memory, first action first.
using Schedule = std::vector<Action>;

/// A schedule produced one action at a time (O(1) memory per action), so that chains of 10^9
/// steps can be planned, simulated and executed without holding the whole list.
class ActionStream {
 public:
  virtual ~ActionStream() = default;
  /// The next action, or nullopt once the schedule is over (and from then on).
  virtual std::optional<Action> next() = 0;
  /// Writes the next actions, at most `capacity` (>= 1), to `out` and returns how many: the
  /// same actions next() would give, in order, and 0 only once the schedule is over. Streams
  /// that generate runs of actions override it to skip the per-action call; the default calls
  /// next() up to `capacity` times.
  virtual std::size_t next_batch(Action* out, std::size_t capacity);
  /// Applies the next actions, at most `max_actions` (>= 1), to `simulator` as
  /// Simulator::apply does and returns how many; 0 only once the schedule is over. Throws
  /// ScheduleError at an illegal action (the ones before it stay applied). Streams that
  /// generate their actions override it to check each one where it is generated, with no
  /// call per action; the default goes through next_batch.
  virtual std::int64_t replay(Simulator& simulator, std::int64_t max_actions);
};

/// An ActionStream over a Schedule it does not own (the schedule must outlive the stream).
class ScheduleStream final : public ActionStream {
 public:
  explicit ScheduleStream(const Schedule& schedule) noexcept : schedule_(&schedule) {}
  std::optional<Action> next() override;
  std::size_t next_batch(Action* out, std::size_t capacity) override;

 private:
  const Schedule* schedule_;
  std::size_t position_ = 0;
};

/// Drains a stream into a Schedule. Throws std::length_error if it yields more than
/// `max_actions` actions, so that a huge stream cannot exhaust memory by accident.
Schedule collect(ActionStream& stream, std::int64_t max_actions = std::int64_t{1} << 26);

}  // namespace memsched
