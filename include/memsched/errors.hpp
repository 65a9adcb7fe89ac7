// The exceptions memsched throws besides the standard ones.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace memsched {

/// Malformed input text (a schedule file, a tree file, ...), with the position of the fault.
/// Lines and columns count from 1; a column of 0 means "the whole line".
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& message, std::int64_t line, std::int64_t column = 0);
  std::int64_t line() const noexcept { return line_; }
  std::int64_t column() const noexcept { return column_; }

 private:
  std::int64_t line_;
  std::int64_t column_;
};

/// A schedule that breaks the rules of the model: the simulator throws it with the index
/// (from 0) of the first offending action and the reason. what() reads
/// "action <index> (<action>): <reason>"; reason() is the reason alone.
class ScheduleError : public std::invalid_argument {
 public:
  ScheduleError(std::int64_t action_index, const std::string& action_text,
                const std::string& reason);
  std::int64_t action_index() const noexcept { return action_index_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::int64_t action_index_;
  std::string reason_;
};

}  // namespace memsched
