// The executor's engine: interprets a schedule's actions on real storage levels and hands out
// the forward and adjoint steps the user's code must run, checking every recomputed state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/exec/profile.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched {

class OnlinePlanner;

/// A recomputed state differs from the same state in the first forward sweep: the step reads
/// something that is not in the checkpointed state (time, RNG, a global counter, a parameter
/// changed since), or the state codec does not save everything. The gradient would be wrong.
class ReplayError : public std::runtime_error {
 public:
  ReplayError(Step step, const std::string& detail);
  Step step() const noexcept { return step_; }

 private:
  Step step_;
};

/// A run that cannot be resumed from its journal (missing, from another schedule, corrupt).
class ResumeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One unit of user work the engine asks for. The working state is the user's state object
/// the engine loads checkpoints into.
struct StepWork {
  enum class Kind {
    kAdvance,  ///< run step `step` forward: working state x_step -> x_{step+1}
    kRecord,   ///< split mode: run step `step` forward recording its tape (x_step -> x_{step+1})
    kSeed,     ///< the forward sweep is over: the working state is x_n; seed the adjoint y_n
    kReverse,  ///< adjoint of step `step`: y_{step+1} -> y_step. Joint mode: the working state
               ///< is x_step and must not be modified. Split mode: the tape of `step` is given.
  };
  Kind kind = Kind::kAdvance;
  Step step = 0;

  friend bool operator==(StepWork a, StepWork b) noexcept {
    return a.kind == b.kind && a.step == b.step;
  }
};

/// Options of a run.
struct ExecutorOptions {
  /// Hash every state of the first forward sweep (8 bytes per step) and compare every
  /// recomputed or restored state with it; a difference throws ReplayError.
  bool replay_check = true;
  /// Check only states whose step is a multiple of the stride (1 = all; a power of two).
  Step replay_check_stride = 1;
  /// Keep hashing below this fraction of the time of a step: after the first 16 steps the
  /// stride becomes the smallest power of two (>= replay_check_stride) with median hash time
  /// <= budget * stride * median step time (big states, cheap steps: fewer checks). 0 = never.
  double replay_check_budget = 0.01;
  /// Replay every action through the simulator in lockstep (offline schedules), so an illegal
  /// schedule is rejected with its ScheduleError before any user code runs on it.
  bool validate = true;
  /// Actions read ahead of the one being executed, to start disk reads early (read-ahead).
  std::size_t lookahead = 32;
  /// Called after each action is executed, with its index (tracing, tests, progress).
  std::function<void(const Action&, std::int64_t)> on_action;
  /// Resume journal: when set, the engine writes `<journal>` (schedule position and adjoint,
  /// atomically) after every `journal_every`-th reverse action and `<journal>.hashes` at the
  /// end of the forward sweep, so a run killed during the reverse sweep can be resumed with
  /// `resume`. Persistent levels must then keep their files (FileStorageOptions::keep_files).
  std::filesystem::path journal;
  std::int64_t journal_every = 1;
  /// Resume the run recorded in `journal` instead of starting: the schedule must be the same
  /// as the interrupted run's; checkpoints lost with the process (RAM levels) or released
  /// after the last journal entry are recomputed from the initial state (counted as
  /// unplanned forward steps); the gradient is the same as an uninterrupted run's.
  bool resume = false;
};

namespace detail {

/// What the engine needs from the user's state, adjoint and (split mode) tape, type-erased.
class StepBinding {
 public:
  virtual ~StepBinding() = default;
  virtual std::size_t state_size() const = 0;
  virtual void save_state(std::byte* out) const = 0;
  virtual void load_state(const std::byte* in, std::size_t size) = 0;
  virtual std::uint64_t hash_state() const = 0;
  virtual std::size_t adjoint_size() const = 0;
  virtual void save_adjoint(std::byte* out) const = 0;
  virtual void load_adjoint(const std::byte* in, std::size_t size) = 0;
  /// Split mode: the user records tapes (kRecord) and reverses from them.
  virtual bool split() const noexcept { return false; }
  /// Split mode: the one tape the binding holds ("live tape").
  virtual std::size_t tape_size() const { return 0; }
  virtual void save_tape(std::byte* /*out*/) const {}
  virtual void load_tape(const std::byte* /*in*/, std::size_t /*size*/) {}
};

}  // namespace detail

/// The engine. Feed it a schedule and storage levels, then call next() for the next step
/// of user work until it returns nullopt; every Copy, Move and Free is performed inside
/// next(). run_adjoint() (model.hpp) and ActionCursor (cursor.hpp) wrap it.
///
/// Joint mode keeps a recorded step's tape as the state x_k itself: the last step of a
/// recording Forward is not run at all until something needs x_{k+1} (it is then run and
/// counted as unplanned), so a Revolve schedule costs exactly its planned forward steps plus
/// one adjoint call per step. Every action is interpreted as the simulator defines it
/// (simulate.hpp).
///
/// Throws ScheduleError (illegal schedule), StorageError / ChecksumError (I/O), ReplayError
/// (recomputed state differs), ResumeError, and whatever the user's code throws; after an
/// exception the engine is unusable, the user's initial state is untouched and the persistent
/// levels hold consistent checkpoints.
class AdjointExecutor {
 public:
  /// Offline: `schedule` (not owned; outlives the engine) for a chain of `num_steps` steps;
  /// `levels` (not owned) are the places 0, 1, ... of the schedule. Throws
  /// std::invalid_argument if num_steps < 1 or a level is null.
  AdjointExecutor(detail::StepBinding& binding, ActionStream& schedule, Step num_steps,
                  std::vector<Storage*> levels, ExecutorOptions options = {});
  /// Online: `planner` (not owned; outlives the engine) decides as the steps arrive; the
  /// length is unknown until end_forward() is called. Throws std::invalid_argument if the
  /// planner has begun steps or options.resume is set.
  AdjointExecutor(detail::StepBinding& binding, OnlinePlanner& planner,
                  std::vector<Storage*> levels, ExecutorOptions options = {});
  ~AdjointExecutor();
  AdjointExecutor(const AdjointExecutor&) = delete;
  AdjointExecutor& operator=(const AdjointExecutor&) = delete;

  /// Performs actions until user work is needed; nullopt once the schedule is over.
  std::optional<StepWork> next();

  /// Online runs, between two next() calls during the forward sweep: the working state x_k
  /// just produced is the last one (n = k). Throws std::logic_error if not online or not in
  /// the forward sweep.
  void end_forward();
  /// Whether the engine is in the forward sweep of an online run (end_forward() allowed).
  bool online_forward() const noexcept;
  /// The working state's step as the schedule sees it (-1: none).
  Step working_step() const noexcept;
  /// Number of steps (0 while an online forward sweep runs).
  Step num_steps() const noexcept;

  /// The profile so far (complete once next() returned nullopt).
  ExecutionProfile profile() const;

 private:
  class Impl;  // the state machine (src/exec/executor.cpp)
  std::unique_ptr<Impl> impl_;
};

/// The number of actions the run journaled at `journal` (ExecutorOptions::journal) had
/// executed at its last entry; nullopt when there is no readable journal there (missing,
/// truncated, corrupt). Lets a caller compare resume points before resuming (several ranks).
std::optional<std::int64_t> journal_progress(const std::filesystem::path& journal);

}  // namespace memsched
