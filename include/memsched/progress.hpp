// Progress reports from long computations (planner tables), and their cancellation.
#pragma once

#include <cstdint>

namespace memsched {

/// Receives the progress of long computations run on the thread that installed it (see
/// ProgressScope): the tables of hrevolve, disk-revolve, mixed and the heterogeneous planner.
/// The library never prints; a caller decides what to show (the CLI prints a line on stderr
/// after two seconds, the Python package checks for Ctrl-C).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  /// `done` of `total` units of work of `task` (a short fixed name such as "hrevolve table")
  /// are done; units are weighted so that done / total estimates the fraction of the time.
  /// May throw to cancel the computation: the exception leaves the planner, which keeps no
  /// partial result.
  virtual void report(const char* task, std::int64_t done, std::int64_t total) = 0;
};

/// Installs `sink` on the calling thread for the scope's lifetime; scopes nest, the innermost
/// receives the reports. Not copyable.
class ProgressScope {
 public:
  explicit ProgressScope(ProgressSink& sink) noexcept;
  ~ProgressScope();
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  ProgressSink* previous_;
};

/// Called by long computations at natural boundaries (a table row, a column): forwards to the
/// sink installed on this thread, if any. One thread-local load when none is.
void report_progress(const char* task, std::int64_t done, std::int64_t total);

}  // namespace memsched
