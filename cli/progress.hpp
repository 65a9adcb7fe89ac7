// Progress on stderr for long work: planner tables (a ProgressSink) and long schedules (a
// pass-through ActionStream). Both report every second once two seconds have passed, so short
// runs stay silent; on a terminal the line is overwritten, in a log one line per report.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "memsched/chain/schedule.hpp"
#include "memsched/progress.hpp"

namespace memsched::cli {

/// Progress lines are on unless the environment sets MEMSCHED_PROGRESS=0 (the CLI tests do, so
/// that a slow machine cannot change what they see on stderr).
inline bool progress_enabled() {
  const char* value = std::getenv("MEMSCHED_PROGRESS");
  return value == nullptr || std::string(value) != "0";
}

class TerminalProgress final : public ProgressSink {
 public:
  ~TerminalProgress() override {
    if (reported_ && tty_) std::cerr << "\n";
  }

  void report(const char* task, std::int64_t done, std::int64_t total) override {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (!enabled_ || elapsed < 2.0 || now - last_ < std::chrono::seconds(1) || total <= 0) {
      return;
    }
    last_ = now;
    reported_ = true;
    const auto percent =
        static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    std::cerr << (tty_ ? "\r" : "") << "memsched: " << task << " " << percent << "% in "
              << static_cast<std::int64_t>(elapsed) << " s" << (tty_ ? "   " : "\n") << std::flush;
  }

 private:
  bool reported_ = false;
  bool tty_ = isatty(2) != 0;
  bool enabled_ = progress_enabled();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

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
    if (!enabled_ || elapsed < 2.0 || now - last_ < std::chrono::seconds(1)) return;
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
  bool enabled_ = progress_enabled();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

}  // namespace memsched::cli
