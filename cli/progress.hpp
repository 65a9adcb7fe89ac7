// Progress on stderr for long schedules: a pass-through ActionStream that reports every second
// once two seconds have passed, so short runs stay silent.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>

#include "memsched/chain/schedule.hpp"

namespace memsched::cli {

class ProgressStream final : public ActionStream {
 public:
  explicit ProgressStream(ActionStream& inner) : inner_(inner) {}
  ~ProgressStream() override {
    if (reported_ && tty_) std::cerr << "\n";
  }

  std::optional<Action> next() override {
    std::optional<Action> action = inner_.next();
    if (action && (++count_ & 0xFFFFF) == 0) report(*action);
    return action;
  }

 private:
  void report(const Action& action) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (elapsed < 2.0 || now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    reported_ = true;
    // Overwrite the line on a terminal; one line per report in a log.
    std::cerr << (tty_ ? "\r" : "") << "memsched: " << count_ / 1000000 << "M actions in "
              << static_cast<std::int64_t>(elapsed) << " s, now " << to_string(action)
              << (tty_ ? "   " : "\n") << std::flush;
  }

  ActionStream& inner_;
  std::int64_t count_ = 0;
  bool reported_ = false;
  bool tty_ = isatty(2) != 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace memsched::cli
