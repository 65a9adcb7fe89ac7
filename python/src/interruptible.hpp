// Long C++ work with the GIL released, cancellable with Ctrl-C.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <cstdint>

#include "memsched/progress.hpp"

namespace memsched::python {

/// Releases the GIL for its lifetime, and lets a pending signal (Ctrl-C) cancel the work: the
/// progress reports of the planner tables (memsched/progress.hpp) retake the GIL at most every
/// 0.1 s to run Python's signal handlers; if one raises (KeyboardInterrupt), the exception
/// leaves the planner and reaches the caller. Use as a local, or as py::call_guard.
class Interruptible {
 public:
  Interruptible() : scope_(sink_) {}

 private:
  class Sink final : public ProgressSink {
   public:
    void report(const char*, std::int64_t, std::int64_t) override {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      pybind11::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
    }

   private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  };

  // Destroyed in reverse: the GIL is retaken before the sink is uninstalled.
  Sink sink_;
  ProgressScope scope_;
  pybind11::gil_scoped_release release_;
};

}  // namespace memsched::python
