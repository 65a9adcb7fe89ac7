// Exceptions with positions: parse errors and illegal schedules.
#include "memsched/errors.hpp"

namespace memsched {

namespace {
std::string position_prefix(std::int64_t line, std::int64_t column) {
  std::string text = "line " + std::to_string(line);
  if (column > 0) text += ", column " + std::to_string(column);
  return text + ": ";
}
}  // namespace

ParseError::ParseError(const std::string& message, std::int64_t line, std::int64_t column)
    : std::runtime_error(position_prefix(line, column) + message), line_(line), column_(column) {}

ScheduleError::ScheduleError(std::int64_t action_index, const std::string& action_text,
                             const std::string& reason)
    : std::invalid_argument("action " + std::to_string(action_index) + " (" + action_text +
                            "): " + reason),
      action_index_(action_index),
      reason_(reason) {}

}  // namespace memsched
