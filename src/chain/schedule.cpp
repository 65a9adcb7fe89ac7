// Streams over stored schedules, and collecting a stream.
#include "memsched/chain/schedule.hpp"

#include <stdexcept>
#include <string>

namespace memsched {

std::optional<Action> ScheduleStream::next() {
  if (position_ >= schedule_->size()) return std::nullopt;
  return (*schedule_)[position_++];
}

Schedule collect(ActionStream& stream, std::int64_t max_actions) {
  Schedule schedule;
  while (std::optional<Action> action = stream.next()) {
    if (static_cast<std::int64_t>(schedule.size()) >= max_actions) {
      throw std::length_error("collect: the schedule has more than " + std::to_string(max_actions) +
                              " actions");
    }
    schedule.push_back(*action);
  }
  return schedule;
}

}  // namespace memsched
