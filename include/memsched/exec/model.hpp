// Running an adjoint with callbacks: the user's model (forward step, joint or split adjoint
// step, seed), its state and adjoint types, and run_adjoint() for known and unknown lengths.
#pragma once

#include <type_traits>
#include <utility>
#include <vector>

#include "memsched/exec/codec.hpp"
#include "memsched/exec/executor.hpp"
#include "memsched/exec/online.hpp"

namespace memsched {

namespace detail {

template <typename M, typename = void>
struct IsSplitModel : std::false_type {};
template <typename M>
struct IsSplitModel<M, std::void_t<typename M::Tape>> : std::true_type {};

template <typename Model, bool Split = IsSplitModel<Model>::value>
struct TapeHolder {
  struct None {};
  None tape;
};
template <typename Model>
struct TapeHolder<Model, true> {
  typename Model::Tape tape{};
};

/// Binds a model, its working state and adjoint to the engine.
template <typename Model>
class ModelBinding final : public StepBinding {
 public:
  using State = typename Model::State;
  using Adjoint = typename Model::Adjoint;
  static constexpr bool kSplit = IsSplitModel<Model>::value;

  ModelBinding(Model& model, State& state, Adjoint& adjoint)
      : model_(&model), state_(&state), adjoint_(&adjoint) {}

  std::size_t state_size() const override { return StateCodec<State>::size(*state_); }
  void save_state(std::byte* out) const override { StateCodec<State>::save(*state_, out); }
  void load_state(const std::byte* in, std::size_t size) override {
    StateCodec<State>::load(in, size, *state_);
  }
  std::uint64_t hash_state() const override { return StateCodec<State>::hash(*state_); }
  std::size_t adjoint_size() const override { return StateCodec<Adjoint>::size(*adjoint_); }
  void save_adjoint(std::byte* out) const override { StateCodec<Adjoint>::save(*adjoint_, out); }
  void load_adjoint(const std::byte* in, std::size_t size) override {
    StateCodec<Adjoint>::load(in, size, *adjoint_);
  }
  bool split() const noexcept override { return kSplit; }
  std::size_t tape_size() const override {
    if constexpr (kSplit) return StateCodec<typename Model::Tape>::size(tapes_.tape);
    return 0;
  }
  void save_tape(std::byte* out) const override {
    if constexpr (kSplit) StateCodec<typename Model::Tape>::save(tapes_.tape, out);
    (void)out;
  }
  void load_tape(const std::byte* in, std::size_t size) override {
    if constexpr (kSplit) StateCodec<typename Model::Tape>::load(in, size, tapes_.tape);
    (void)in;
    (void)size;
  }

  /// Runs one unit of work on the user's model.
  void perform(StepWork work) {
    switch (work.kind) {
      case StepWork::Kind::kAdvance:
        model_->advance(*state_, work.step);
        break;
      case StepWork::Kind::kRecord:
        if constexpr (kSplit) model_->record(*state_, tapes_.tape, work.step);
        break;
      case StepWork::Kind::kSeed:
        model_->seed(static_cast<const State&>(*state_), *adjoint_);
        break;
      case StepWork::Kind::kReverse:
        if constexpr (kSplit) {
          model_->reverse_tape(static_cast<const typename Model::Tape&>(tapes_.tape), *adjoint_,
                               work.step);
        } else {
          model_->reverse(static_cast<const State&>(*state_), *adjoint_, work.step);
        }
        break;
    }
  }

 private:
  Model* model_;
  State* state_;
  Adjoint* adjoint_;
  TapeHolder<Model> tapes_;
};

}  // namespace detail

/// Runs a schedule on the user's model: the forward sweep from `x0` (copied: the caller's
/// state is never modified), the seed, and the adjoint sweep into `adjoint`.
///
/// A model is any type with
///   using State = ...;     // codable (codec.hpp): everything a step reads that changes
///   using Adjoint = ...;   // codable: the adjoint state and the parameter adjoints it sums
///   void advance(State& x, Step k);                       // x_k -> x_{k+1}
///   void seed(const State& x_n, Adjoint& y);              // y_n = dJ/dx_n
///   void reverse(const State& x_k, Adjoint& y, Step k);   // joint: y_{k+1} -> y_k
/// and, for split mode (tapes the schedule may store), additionally
///   using Tape = ...;                                     // codable
///   void record(State& x, Tape& tape, Step k);           // x_k -> x_{k+1}, recording
///   void reverse_tape(const Tape& tape, Adjoint& y, Step k);  // replaces reverse()
/// Parameter adjoints belong in Adjoint (so that a resumed run continues them).
///
/// `levels` are the schedule's places 0, 1, ...; `num_steps` the chain length. Returns the
/// run's profile. Throws what AdjointExecutor throws.
///
///     Burgers model(...);
///     RevolveStream schedule(n, 10);
///     auto ram = make_ram_storage(10 * state_bytes);
///     Burgers::Adjoint y;
///     ExecutionProfile p = run_adjoint(model, u0, y, schedule, n, {ram.get()});
template <typename Model>
ExecutionProfile run_adjoint(Model& model, const typename Model::State& x0,
                             typename Model::Adjoint& adjoint, ActionStream& schedule,
                             Step num_steps, const std::vector<Storage*>& levels,
                             ExecutorOptions options = {}) {
  typename Model::State state = x0;
  detail::ModelBinding<Model> binding(model, state, adjoint);
  AdjointExecutor executor(binding, schedule, num_steps, levels, std::move(options));
  while (std::optional<StepWork> work = executor.next()) binding.perform(*work);
  return executor.profile();
}

/// As run_adjoint, for a chain whose length is unknown: `planner` (any OnlinePlanner, e.g.
/// OnlineCheckpointer) decides what to keep as the steps arrive; after each forward step of
/// the first sweep, `stop(x_k, k)` says whether x_k is the last state (then n = k). `stop` is asked
/// once per state of the first sweep, x_1 first.
template <typename Model, typename Stop>
ExecutionProfile run_adjoint_online(Model& model, const typename Model::State& x0,
                                    typename Model::Adjoint& adjoint, OnlinePlanner& planner,
                                    Stop&& stop, const std::vector<Storage*>& levels,
                                    ExecutorOptions options = {}) {
  typename Model::State state = x0;
  detail::ModelBinding<Model> binding(model, state, adjoint);
  AdjointExecutor executor(binding, planner, levels, std::move(options));
  while (std::optional<StepWork> work = executor.next()) {
    binding.perform(*work);
    if (executor.online_forward() && work->kind == StepWork::Kind::kAdvance &&
        stop(static_cast<const typename Model::State&>(state), work->step + 1)) {
      executor.end_forward();
    }
  }
  return executor.profile();
}

}  // namespace memsched
