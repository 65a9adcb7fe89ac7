// Repeated adjoints: several reverse sweeps after one forward run (several functionals, or
// Hessian-vector products, on the same primal trajectory), keeping checkpoints between sweeps.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

namespace detail {
class BinomialReversal;
}

/// The forward steps of `sweeps` reverse sweeps over n steps with `slots` slots when `kept`
/// checkpoints (x_0 included, evenly spaced) persist across the sweeps: the forward run to the
/// last kept state, then per sweep n recordings plus sum_j t(len_j, d_j), with d_j = slots -
/// kept + 1 in every sweep but the last (all kept states stay held) and d_j = slots - j in the
/// last (they are released as the front passes them) (Griewank & Walther 2000 per interval).
/// Throws std::invalid_argument unless n >= 1, sweeps >= 1, 1 <= kept <= min(slots, n).
std::int64_t repeated_forward_steps(Step n, std::int64_t slots, std::int64_t sweeps,
                                    std::int64_t kept);

/// The number of kept checkpoints that minimises repeated_forward_steps (1 for one sweep:
/// plain Revolve). O(slots^2) closed-form evaluations.
std::int64_t best_kept_checkpoints(Step n, std::int64_t slots, std::int64_t sweeps);

/// Several reverse sweeps after one forward run, as a lazy stream: the forward run stores
/// `kept` evenly spaced states (x_0 first); every sweep reverses the intervals between them,
/// last first, by Revolve, and ends with EndReverse; kept states are loaded with Copy (kept)
/// until the last sweep, which releases them. Each extra sweep costs n + sum_j t(len_j,
/// slots - kept + 1) forward steps and no forward run. Throws std::invalid_argument as
/// repeated_forward_steps, or if slots > n is not clamped by the caller (use repeated()).
class RepeatedStream final : public ActionStream {
 public:
  RepeatedStream(Step num_steps, std::int64_t slots, std::int64_t sweeps, std::int64_t kept,
                 Place level = 0);
  ~RepeatedStream() override;
  RepeatedStream(RepeatedStream&&) noexcept;
  RepeatedStream& operator=(RepeatedStream&&) noexcept;

  std::optional<Action> next() override;

 private:
  void start_interval();

  Step num_steps_;
  std::int64_t slots_;
  std::int64_t sweeps_;
  Place level_;
  std::vector<Step> kept_;  // ascending, kept_[0] == 0
  std::size_t stored_ = 0;  // forward run: kept states stored so far
  std::int64_t sweep_ = 0;
  std::size_t interval_ = 0;  // the interval being reversed (counts down)
  bool sweep_started_ = false;
  bool done_ = false;
  std::unique_ptr<detail::BinomialReversal> reversal_;
};

/// Repeated sweeps on a platform's level 0 with the best number of kept checkpoints; nullopt
/// if level 0 is missing or has no slot. Throws std::invalid_argument if sweeps < 1.
std::optional<RepeatedStream> repeated(const Chain& chain, const Platform& platform,
                                       std::int64_t sweeps);

}  // namespace memsched
