// The executor's replay check: the first forward sweep's state hashes, and the comparison of
// every recomputed or restored state with them (ExecutorOptions::replay_check).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/exec/executor.hpp"
#include "memsched/exec/profile.hpp"

namespace memsched::detail {

/// Hashes the states of the first forward sweep (every stride-th) and compares each later
/// state of the same step with its hash; a difference throws ReplayError. The stride starts at
/// `stride` (a power of two, validated by the caller) and, with budget > 0, is tuned once from
/// the medians of the first 16 hash and step durations so that hashing costs at most `budget`
/// times a step; strides stay powers of two, so every state checked later was hashed first.
/// Hash times and comparisons are counted in `profile` (hashing, replay_checks).
class ReplayChecker {
 public:
  /// A checker for states x_0 .. x_num_steps (num_steps = 0: unknown, the table grows);
  /// disabled (`enabled` false) it only tracks the first sweep's progress.
  ReplayChecker(const StepBinding& binding, ExecutionProfile& profile, bool enabled, Step stride,
                double budget, Step num_steps);

  /// x_0, as the binding holds it now, is the first sweep's.
  void start();
  /// The binding holds x_step, produced by a forward step (`produced`) or loaded from a
  /// checkpoint: hashed as reference the first time, compared after. Throws ReplayError.
  void check(Step step, bool produced);
  /// The duration of a forward step, for the stride's tuning.
  void add_step_sample(double seconds);

  /// The largest state of the first sweep seen so far.
  Step reached() const noexcept { return reached_; }
  Step stride() const noexcept { return stride_; }
  /// The reference hashes, index = step (0 where not hashed).
  const std::vector<std::uint64_t>& hashes() const noexcept { return hashes_; }
  /// A resumed run: the interrupted run's reference (its stride if larger than ours).
  void restore(Step reached, Step stride, std::vector<std::uint64_t> hashes);

 private:
  void tune_stride();

  const StepBinding* binding_;
  ExecutionProfile* profile_;
  bool enabled_;
  double budget_;
  Step stride_;
  Step reached_ = 0;
  std::vector<std::uint64_t> hashes_;
  static constexpr std::size_t kSamples = 16;
  std::vector<double> hash_samples_;  // first hash durations, to tune the stride
  std::vector<double> step_samples_;  // first advance durations
  bool stride_tuned_ = false;
};

}  // namespace memsched::detail
