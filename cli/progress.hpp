// Progress on stderr for long work: planner tables (a ProgressSink) and long schedules (a
// pass-through ActionStream). Both report every second once two seconds have passed, so short
// runs stay silent; on a terminal the line is overwritten, in a log one line per report.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "memsched/chain/schedule.hpp"
#include "memsched/progress.hpp"

namespace memsched::cli {

/// The progress line on stderr: due() once two seconds have passed, then every second. Off if
/// the environment sets MEMSCHED_PROGRESS=0 (the CLI tests do, so that a slow machine cannot
/// change what they see on stderr).
class ProgressLine {
 public:
  ~ProgressLine() {
    if (printed_ && tty_) std::cerr << "\n";
  }

  /// Seconds since the start if a line is due now (and counts it as printed), else -1.
  double due() {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (!enabled_ || elapsed < 2.0 || now - last_ < std::chrono::seconds(1)) return -1;
    last_ = now;
    return elapsed;
  }

  void print(const std::string& text) {
    printed_ = true;
    std::cerr << (tty_ ? "\r" : "") << "memsched: " << text << (tty_ ? "   " : "\n") << std::flush;
  }

 private:
  static bool enabled() {
    const char* value = std::getenv("MEMSCHED_PROGRESS");
    return value == nullptr || std::string(value) != "0";
  }

  bool printed_ = false;
  bool tty_ = isatty(2) != 0;
  bool enabled_ = enabled();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

class TerminalProgress final : public ProgressSink {
 public:
  void report(const char* task, std::int64_t done, std::int64_t total) override {
    if (total <= 0) return;
    const double elapsed = line_.due();
    if (elapsed < 0) return;
    const auto percent =
        static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    line_.print(std::string(task) + " " + std::to_string(percent) + "% in " +
                std::to_string(static_cast<std::int64_t>(elapsed)) + " s");
  }

 private:
  ProgressLine line_;
};

class ProgressStream final : public ActionStream {
 public:
  explicit ProgressStream(ActionStream& inner) : inner_(inner) {}

  std::optional<Action> next() override {
    std::optional<Action> action = inner_.next();
    if (action && (++count_ & 0xFFFFF) == 0) {
      const double elapsed = line_.due();
      if (elapsed >= 0) {
        line_.print(std::to_string(count_ / 1000000) + "M actions in " +
                    std::to_string(static_cast<std::int64_t>(elapsed)) + " s, now " +
                    to_string(*action));
      }
    }
    return action;
  }

  std::size_t next_batch(Action* out, std::size_t capacity) override {
    const std::size_t count = inner_.next_batch(out, capacity);
    const std::int64_t before = count_;
    count_ += static_cast<std::int64_t>(count);
    if (count > 0 && (before >> 20) != (count_ >> 20)) {
      const double elapsed = line_.due();
      if (elapsed >= 0) {
        line_.print(std::to_string(count_ / 1000000) + "M actions in " +
                    std::to_string(static_cast<std::int64_t>(elapsed)) + " s, now " +
                    to_string(out[count - 1]));
      }
    }
    return count;
  }

  std::int64_t replay(Simulator& simulator, std::int64_t max_actions) override {
    // Chunks of 2^20 actions, so that the line can be updated between them.
    const std::int64_t count =
        inner_.replay(simulator, std::min<std::int64_t>(max_actions, std::int64_t{1} << 20));
    const std::int64_t before = count_;
    count_ += count;
    if (count > 0 && (before >> 20) != (count_ >> 20)) {
      const double elapsed = line_.due();
      if (elapsed >= 0) {
        line_.print(std::to_string(count_ / 1000000) + "M actions in " +
                    std::to_string(static_cast<std::int64_t>(elapsed)) + " s");
      }
    }
    return count;
  }

 private:
  ActionStream& inner_;
  std::int64_t count_ = 0;
  ProgressLine line_;
};

}  // namespace memsched::cli
