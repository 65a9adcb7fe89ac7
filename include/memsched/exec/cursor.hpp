// Driving a schedule from an existing time loop: an iterator over the steps to run, with
// every checkpoint store and restore done for the caller on the caller's own state.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "memsched/exec/codec.hpp"
#include "memsched/exec/executor.hpp"

namespace memsched {

namespace detail {

// Joint-mode binding over a state the caller owns; the adjoint is the caller's business.
template <typename State>
class StateOnlyBinding final : public StepBinding {
 public:
  explicit StateOnlyBinding(State& state) : state_(&state) {}
  std::size_t state_size() const override { return StateCodec<State>::size(*state_); }
  void save_state(std::byte* out) const override { StateCodec<State>::save(*state_, out); }
  void load_state(const std::byte* in, std::size_t size) override {
    StateCodec<State>::load(in, size, *state_);
  }
  std::uint64_t hash_state() const override { return StateCodec<State>::hash(*state_); }
  std::size_t adjoint_size() const override { return 0; }
  void save_adjoint(std::byte*) const override {}
  void load_adjoint(const std::byte*, std::size_t) override {}

 private:
  State* state_;
};

}  // namespace detail

/// An iterator over the work of a schedule for legacy time loops (joint mode): the caller
/// keeps its loop and its state variable; next() performs the schedule's stores and restores
/// directly on that variable and says what to run next:
///
///     std::vector<double> u = initial_condition();       // the loop's own state
///     RevolveStream schedule(n, 20);
///     auto ram = make_ram_storage(20 * bytes_of(u));
///     ActionCursor<std::vector<double>> cursor(u, schedule, n, {ram.get()});
///     while (auto work = cursor.next()) {
///       switch (work->kind) {
///         case StepWork::Kind::kAdvance: step(u, work->step); break;       // u: x_k -> x_k+1
///         case StepWork::Kind::kSeed: seed(u, ub); break;                  // u is x_n
///         case StepWork::Kind::kReverse: adjoint_step(u, ub, work->step);  // u is x_k, keep it
///         default: break;
///       }
///     }
///
/// `state` must hold x_0 and outlive the cursor; after the run it holds some state of the
/// chain. The caller must not modify `state` during a kReverse. Resuming needs run_adjoint
/// (the cursor does not own the adjoint). Throws what AdjointExecutor throws.
template <typename State>
class ActionCursor {
 public:
  ActionCursor(State& state, ActionStream& schedule, Step num_steps, std::vector<Storage*> levels,
               ExecutorOptions options = {})
      : binding_(state),
        executor_(binding_, schedule, num_steps, std::move(levels), check(std::move(options))) {}

  /// The next step to run on the state, or nullopt when the schedule is over.
  std::optional<StepWork> next() { return executor_.next(); }
  /// The run's profile (complete once next() returned nullopt).
  ExecutionProfile profile() const { return executor_.profile(); }

 private:
  static ExecutorOptions check(ExecutorOptions options) {
    if (options.resume || !options.journal.empty()) {
      throw std::invalid_argument("ActionCursor: resumable runs need run_adjoint");
    }
    return options;
  }

  detail::StateOnlyBinding<State> binding_;
  AdjointExecutor executor_;
};

}  // namespace memsched
