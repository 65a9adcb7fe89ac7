// The thread's progress sink (see progress.hpp).
#include "memsched/progress.hpp"

namespace memsched {

namespace {
thread_local ProgressSink* current_sink = nullptr;
}  // namespace

ProgressScope::ProgressScope(ProgressSink& sink) noexcept : previous_(current_sink) {
  current_sink = &sink;
}

ProgressScope::~ProgressScope() { current_sink = previous_; }

void report_progress(const char* task, std::int64_t done, std::int64_t total) {
  if (current_sink != nullptr) current_sink->report(task, done, total);
}

}  // namespace memsched
