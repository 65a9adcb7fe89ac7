// Periodic checkpointing and its two extremes, store-all and recompute-all.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

namespace detail {
class SegmentedReversal;
}

/// A checkpoint every `period` steps, on one level, as a lazy stream.
///
/// The forward sweep stores x_0, x_k, x_2k, ... (k = period) up to the start of the last
/// segment; each segment is then reversed, last first, by Revolve from its stored start with
/// the slots left (segment j may use `slots - j`, its start's included), and its start is
/// released at its last use. With k = 1 this stores every state (store-all: 2n - 1 forward
/// steps, n - 1 slots); with k = n and one slot it recomputes everything from x_0.
/// Throws std::invalid_argument if n < 1, period < 1, or slots < periodic_min_slots(n, period).
class PeriodicStream final : public ActionStream {
 public:
  PeriodicStream(Step num_steps, Step period, std::int64_t slots, Place level = 0);
  ~PeriodicStream() override;
  PeriodicStream(PeriodicStream&&) noexcept;
  PeriodicStream& operator=(PeriodicStream&&) noexcept;

  std::optional<Action> next() override;

 private:
  Step num_steps_;
  Step period_;
  std::int64_t slots_;
  Place level_;
  Step segments_;
  Step next_store_ = 0;  // forward phase: index of the next segment start to store
  bool store_pending_ = true;
  std::unique_ptr<detail::SegmentedReversal> reversal_;  // null during the forward phase

  void start_reversal();
};

/// Fewest slots with which PeriodicStream(n, period, slots) exists: one per segment start
/// stored during the forward sweep, plus one for the last segment if it has two steps or more.
std::int64_t periodic_min_slots(Step num_steps, Step period);

/// Periodic checkpointing on the platform's level 0; nullopt if its slots are too few.
/// Throws std::invalid_argument if period < 1 or period > n.
std::optional<PeriodicStream> periodic(const Chain& chain, const Platform& platform, Step period);

/// Store every state (period 1): no recomputation beyond the recording runs, 2n - 1 forward
/// steps, n - 1 slots of level 0; nullopt if level 0 has fewer.
std::optional<PeriodicStream> store_all(const Chain& chain, const Platform& platform);

/// Keep only x_0 and recompute every step from it: n + n(n-1)/2 forward steps, one slot of level 0
/// (none if n = 1); nullopt if level 0 has none.
std::optional<PeriodicStream> recompute_all(const Chain& chain, const Platform& platform);

}  // namespace memsched
