// Streams over stored schedules, and collecting a stream.
#include "memsched/chain/schedule.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace memsched {

std::size_t ActionStream::next_batch(Action* out, std::size_t capacity) {
  std::size_t count = 0;
  while (count < capacity) {
    std::optional<Action> action = next();
    if (!action) break;
    out[count++] = *action;
  }
  return count;
}

std::size_t ScheduleStream::next_batch(Action* out, std::size_t capacity) {
  const std::size_t count =
      std::min(capacity, schedule_->size() - std::min(position_, schedule_->size()));
  std::copy_n(schedule_->begin() + static_cast<std::ptrdiff_t>(position_), count, out);
  position_ += count;
  return count;
}

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
