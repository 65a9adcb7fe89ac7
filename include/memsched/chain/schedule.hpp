// Schedules: a stored list of actions, or a lazy stream of them for very long chains.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/chain/action.hpp"

namespace memsched {

/// A schedule held in memory, first action first.
using Schedule = std::vector<Action>;

/// A schedule produced one action at a time (O(1) memory per action), so that chains of 10^9
/// steps can be planned, simulated and executed without holding the whole list.
class ActionStream {
 public:
  virtual ~ActionStream() = default;
  /// The next action, or nullopt once the schedule is over (and from then on).
  virtual std::optional<Action> next() = 0;
};

/// An ActionStream over a Schedule it does not own (the schedule must outlive the stream).
class ScheduleStream final : public ActionStream {
 public:
  explicit ScheduleStream(const Schedule& schedule) noexcept : schedule_(&schedule) {}
  std::optional<Action> next() override;

 private:
  const Schedule* schedule_;
  std::size_t position_ = 0;
};

/// Drains a stream into a Schedule. Throws std::length_error if it yields more than
/// `max_actions` actions, so that a huge stream cannot exhaust memory by accident.
Schedule collect(ActionStream& stream, std::int64_t max_actions = std::int64_t{1} << 26);

}  // namespace memsched
