// Revolve: the binomial schedule of Griewank & Walther, optimal in forward steps on one level.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"

namespace memsched {

namespace detail {
class BinomialReversal;
}

/// The Revolve schedule (Griewank & Walther, ACM TOMS 26(1), 2000) as a lazy stream: O(c)
/// memory and O(1) amortised time per action (O(r) per advance), so n = 10^9 is fine.
///
/// Reverses n steps with `slots` snapshots (x_0's included) on storage level `level`, with the
/// fewest forward steps possible: n + t(n, slots) (see revolve_forward_steps). Every advance
/// lies in the optimal interval of optimal_advances(); a snapshot is loaded with Move at its
/// last use (when it is the state just before the adjoint front) and with Copy otherwise, so
/// every snapshot is released. Throws std::invalid_argument if n < 1, slots < 0, or slots = 0
/// with n > 1, and std::overflow_error if the forward step count does not fit in 64 bits.
///
///     RevolveStream revolve(1000, 10);
///     SimulationReport r = simulate(revolve, Chain(1000), Platform::ram(10));
///     // r.forward_steps == 4636
class RevolveStream final : public ActionStream {
 public:
  RevolveStream(Step num_steps, std::int64_t slots, Place level = 0);
  ~RevolveStream() override;
  RevolveStream(RevolveStream&&) noexcept;
  RevolveStream& operator=(RevolveStream&&) noexcept;

  std::optional<Action> next() override;
  /// The same actions as next(), whole controller decisions at a time (see ActionStream).
  std::size_t next_batch(Action* out, std::size_t capacity) override;
  /// Checks each action as the controller generates it (see ActionStream).
  std::int64_t replay(Simulator& simulator, std::int64_t max_actions) override;

 private:
  std::unique_ptr<detail::BinomialReversal> reversal_;
  bool done_ = false;
};

/// Revolve on a platform: uses the slots of its fastest level (level 0) and ignores the others
/// and all costs (it minimises forward steps, which is optimal for uniform step costs and free
/// storage). Returns nullopt if no schedule fits (n > 1 with no slot, or no level).
std::optional<RevolveStream> revolve(const Chain& chain, const Platform& platform);

}  // namespace memsched

namespace memsched {

/// What simulate() reports for revolve(chain, platform), computed without streaming: forward
/// steps n + t(n, c) (the closed form), and the writes, reads, peak and action count by a
/// memoised recursion over the controller's decisions (advance to the largest optimal split,
/// store, reverse the rest with one snapshot fewer, restore), whose distinct subproblems are few
/// (they are fixed by binomial coefficients). nullopt if the chain has per-step costs, no
/// schedule fits, or the recursion would need more than `max_subproblems` entries or a depth
/// above 10000 (slots close to n) (then
/// stream and simulate instead). Throws like revolve().
std::optional<SimulationReport> revolve_summary(const Chain& chain, const Platform& platform,
                                                std::size_t max_subproblems = 1 << 20);

}  // namespace memsched
