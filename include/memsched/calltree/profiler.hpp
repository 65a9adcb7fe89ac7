// Instrumentation of a running adjoint: RAII call scopes with static site ids, a tape byte
// counter the AD tool reports to, exclusive timers and a per-thread frame stack, recording
// the dynamic call tree the planners take (memsched::CallTree).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// A dense id of a static call site, from register_call_site.
using CallSiteId = std::int32_t;

/// Interns a static call site (name, file, line) and returns its id; the same triple gives
/// the same id. Thread-safe; the registry grows as needed (no fixed cap). Meant to be called
/// once per site through a function-local static (MEMSCHED_CALL_SCOPE).
CallSiteId register_call_site(const char* name, const char* file = "", int line = 0);
/// The name a site was registered with. Throws std::out_of_range for an unknown id.
std::string call_site_name(CallSiteId site);

/// Which sweep of the adjoint a scope belongs to.
enum class CallPhase : std::uint8_t {
  kRecord,   ///< forward sweep, recording: creates the dynamic call; times f, tape tau
  kReverse,  ///< backward sweep: matched with the recorded calls in reverse order; times b
  kPlain,    ///< a plain run (optional): matched in call order; times t (default: t = f)
};

/// The AD tool (or a hand-written push/pop stack) reports every push here, on the thread
/// that pushes; scopes read the counter at entry and exit. A relaxed thread-local add.
void tape_pushed(Bytes bytes) noexcept;

/// The clock of a CallRecorder.
enum class CallClock : std::uint8_t {
  kThreadCpu,  ///< CPU time of the thread (CLOCK_THREAD_CPUTIME_ID): right with threads, but a
               ///< system call per reading (docs/benchmarks.md gives its cost)
  kSteady,     ///< std::chrono::steady_clock: cheap, wall time (counts waiting and I/O)
};

/// Records the dynamic call tree of one adjoint run of the calling thread. While it lives, the
/// CallScopes of this thread report to it (each thread has its own frame stack, so several
/// threads each need their own recorder). Profile a store-all run (every call split): run the
/// forward sweep under kRecord scopes, the backward sweep under kReverse scopes, and
/// optionally a plain run of the same program under kPlain scopes.
///
/// Throws std::logic_error if the thread already has a recorder.
class CallRecorder {
 public:
  explicit CallRecorder(CallClock clock = CallClock::kThreadCpu);
  ~CallRecorder();
  CallRecorder(const CallRecorder&) = delete;
  CallRecorder& operator=(const CallRecorder&) = delete;

  /// Number of dynamic calls recorded so far (root included).
  std::int64_t num_calls() const noexcept;

  /// The recorded tree: calls named "<site>#<k>" (the k-th dynamic call of the site; the root
  /// keeps the site name) with `site` set, record and
  /// adjoint times from the sweeps (seconds of the recorder's clock), plain time from the plain run
  /// (record time if there was none), own tape and the part pushed before each call, snapshot sizes
  /// and times as reported (CallScope::snapshot). Throws std::logic_error if a scope is still open,
  /// nothing was recorded, or a recorded call was not reversed.
  CallTree tree() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// An RAII call scope: put one at the top of each procedure body (or each call site) that the
/// call tree should see. Without a CallRecorder on the thread it costs one thread-local
/// read. The site is interned on every construction with the const char* form; use
/// MEMSCHED_CALL_SCOPE for a static id.
///
/// kReverse and kPlain scopes match the recorded calls by site name (their code is elsewhere).
/// Throws std::logic_error when scopes do not match the recorded tree (a kReverse scope whose
/// site name is not the next call to reverse, a second root, a kRecord scope inside a kPlain one).
class CallScope {
 public:
  CallScope(CallSiteId site, CallPhase phase = CallPhase::kRecord);
  explicit CallScope(const char* name, CallPhase phase = CallPhase::kRecord);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  /// Reports the snapshot this call would need if it were joint (bytes, and the seconds to
  /// write and to read it), measured by the caller with its checkpoint codec.
  void snapshot(Bytes bytes, double write_seconds = 0, double read_seconds = 0);

 private:
  bool active_ = false;
};

/// Thread CPU time in seconds (CLOCK_THREAD_CPUTIME_ID): the profiler's clock.
double thread_cpu_seconds() noexcept;

}  // namespace memsched

#define MEMSCHED_CALLTREE_CONCAT2(a, b) a##b
#define MEMSCHED_CALLTREE_CONCAT(a, b) MEMSCHED_CALLTREE_CONCAT2(a, b)
/// A CallScope with a static site id for (name, __FILE__, __LINE__): one registry lookup per
/// program run, none per call.
#define MEMSCHED_CALL_SCOPE(name, phase)                                                        \
  static const ::memsched::CallSiteId MEMSCHED_CALLTREE_CONCAT(memsched_call_site_, __LINE__) = \
      ::memsched::register_call_site(name, __FILE__, __LINE__);                                 \
  ::memsched::CallScope MEMSCHED_CALLTREE_CONCAT(memsched_call_scope_, __LINE__)(               \
      MEMSCHED_CALLTREE_CONCAT(memsched_call_site_, __LINE__), phase)
