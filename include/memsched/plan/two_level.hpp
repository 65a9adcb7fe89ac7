// Two-level checkpointing (Pringle et al. 2016; Goldberg et al. 2020): a disk checkpoint every
// `period` steps in the forward sweep, and a binomial schedule in RAM inside each period.
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

/// The two-level schedule as a lazy stream. The forward sweep writes x_0, x_P, x_2P, ... to
/// level 1 (disk) and advances; its actions depend on n only through where it stops (the start
/// of the last period is kept in the working buffer instead of being written), so an online
/// driver can follow it before n is known. Each period is then reversed, last first, by Revolve
/// with ram_slots snapshots on level 0 plus its disk checkpoint playing x_0, which is read with
/// Copy and released by a Move at its last read. The last period starts from the working buffer.
/// Forward steps: n + Σ_periods t(P_i, ram_slots + 1) for all but the last period.
/// Throws std::invalid_argument if n < 1, period < 1, ram_slots < 0, or ram_slots = 0 with
/// a last period of two steps or more.
class TwoLevelStream final : public ActionStream {
 public:
  TwoLevelStream(Step num_steps, Step period, std::int64_t ram_slots);
  ~TwoLevelStream() override;
  TwoLevelStream(TwoLevelStream&&) noexcept;
  TwoLevelStream& operator=(TwoLevelStream&&) noexcept;
  std::optional<Action> next() override;

 private:
  Step num_steps_;
  Step period_;
  std::int64_t ram_slots_;
  Step periods_;         // periods with a disk checkpoint (all but the last)
  Step next_store_ = 0;  // forward phase: the next period to store
  bool store_pending_ = true;
  std::unique_ptr<detail::SegmentedReversal> reversal_;  // null during the forward phase

  void start_reversal();
};

/// Two-level checkpointing on levels 0 (RAM) and 1 (disk); nullopt if the platform has fewer
/// than two levels, the disk has fewer slots than periods, or the last period cannot be
/// reversed (no RAM slot for a period of two steps or more). Throws std::invalid_argument if
/// period < 1.
std::optional<TwoLevelStream> two_level(const Chain& chain, const Platform& platform, Step period);

}  // namespace memsched
