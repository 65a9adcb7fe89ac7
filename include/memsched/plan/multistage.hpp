// Multistage checkpointing (Stumm & Walther, SIAM J. Sci. Comput. 31(3), 2009): the binomial
// schedule, with its most used snapshots in RAM and the others on disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {

/// Revolve with ram_slots + disk_slots snapshots (fewest forward steps: n + t(n, c)), as a
/// lazy stream. The snapshot stack positions with the most accesses (writes + reads, counted
/// by a dry run of the same schedule) live on level 0, the others on level 1 (Stumm & Walther
/// 2009, §3). O(c) memory, O(n + t) time for the dry run. Not cost-optimal when the disk is
/// slow (use hrevolve); the forward step count is Revolve's. Throws std::invalid_argument if
/// n < 1, a slot count is negative, or n > 1 with no slot at all.
class MultistageStream final : public ActionStream {
 public:
  MultistageStream(Step num_steps, std::int64_t ram_slots, std::int64_t disk_slots);
  std::optional<Action> next() override;
  /// Level (0 or 1) of each snapshot stack position, bottom first.
  const std::vector<Place>& placement() const noexcept { return placement_; }

 private:
  RevolveStream revolve_;
  std::vector<Place> placement_;
  std::int64_t depth_ = 0;
};

/// Multistage on levels 0 (RAM) and 1 (disk) of the platform; nullopt if it has fewer than two
/// levels or n > 1 and no slot on either.
std::optional<MultistageStream> multistage(const Chain& chain, const Platform& platform);

}  // namespace memsched
