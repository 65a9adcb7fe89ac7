// The executor's replay check (see replay_check.hpp).
#include "replay_check.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

namespace memsched::detail {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string hex(std::uint64_t value) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) s[static_cast<std::size_t>(i)] = digits[value & 15];
  return s;
}

}  // namespace

ReplayChecker::ReplayChecker(const StepBinding& binding, ExecutionProfile& profile, bool enabled,
                             Step stride, double budget, Step num_steps)
    : binding_(&binding),
      profile_(&profile),
      enabled_(enabled),
      budget_(budget),
      stride_(stride),
      hashes_(static_cast<std::size_t>(num_steps + 1), 0) {}

void ReplayChecker::start() {
  if (!enabled_) return;
  const auto t = Clock::now();
  hashes_[0] = binding_->hash_state();
  profile_->hashing.add(seconds_since(t));
}

void ReplayChecker::check(Step step, bool produced) {
  if (!enabled_ || step % stride_ != 0) {
    if (produced && step > reached_) reached_ = step;
    return;
  }
  if (!produced && step > reached_) return;  // a restored state not seen yet (cannot happen)
  const auto t = Clock::now();
  const std::uint64_t h = binding_->hash_state();
  profile_->hashing.add(seconds_since(t));
  if (hash_samples_.size() < kSamples) hash_samples_.push_back(seconds_since(t));
  tune_stride();
  if (step > reached_) {
    if (static_cast<std::size_t>(step) >= hashes_.size()) {
      hashes_.resize(std::max<std::size_t>(hashes_.size() * 2, static_cast<std::size_t>(step) + 1));
    }
    hashes_[static_cast<std::size_t>(step)] = h;
    reached_ = step;
    return;
  }
  profile_->replay_checks += 1;
  const std::uint64_t expected = hashes_[static_cast<std::size_t>(step)];
  if (h != expected) {
    throw ReplayError(
        step, produced ? "the recomputed state hashes to " + hex(h) + ", the first sweep's to " +
                             hex(expected) +
                             ": the step reads something that is not in the checkpointed state "
                             "(time, a random generator, a global, a parameter changed since), or "
                             "the state codec leaves out a field"
                       : "the restored state hashes to " + hex(h) + ", the first sweep's to " +
                             hex(expected) +
                             ": the state codec's save and load do not round-trip, or the "
                             "checkpoint was altered");
  }
}

void ReplayChecker::add_step_sample(double seconds) {
  if (step_samples_.size() >= kSamples) return;
  step_samples_.push_back(seconds);
  tune_stride();
}

void ReplayChecker::restore(Step reached, Step stride, std::vector<std::uint64_t> hashes) {
  reached_ = reached;
  stride_ = std::max(stride_, stride);
  hashes_ = std::move(hashes);
}

void ReplayChecker::tune_stride() {
  // Once, from the medians of the first hashes and steps (medians: a preempted sample must not
  // decide): the stride that keeps hashing within the budget. Strides are powers of two, so
  // every state checked later was hashed in the first sweep.
  if (stride_tuned_ || budget_ <= 0 || hash_samples_.size() < kSamples ||
      step_samples_.size() < kSamples) {
    return;
  }
  stride_tuned_ = true;
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double ratio = median(hash_samples_) / std::max(1e-12, median(step_samples_));
  while (double(stride_) * budget_ < ratio && stride_ < (Step{1} << 40)) stride_ *= 2;
}

}  // namespace memsched::detail
