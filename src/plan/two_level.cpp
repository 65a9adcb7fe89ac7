// Two-level checkpointing: periodic disk checkpoints, Revolve in RAM inside each period.
#include "memsched/plan/two_level.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "detail/binomial_reversal.hpp"

namespace memsched {

namespace {
constexpr Place kRam = 0;
constexpr Place kDisk = 1;
}  // namespace

TwoLevelStream::TwoLevelStream(Step num_steps, Step period, std::int64_t ram_slots)
    : num_steps_(num_steps), period_(period), ram_slots_(ram_slots) {
  if (num_steps < 1 || period < 1 || ram_slots < 0) {
    throw std::invalid_argument("two_level: needs n >= 1, period >= 1, ram_slots >= 0; got n = " +
                                std::to_string(num_steps) + ", period = " + std::to_string(period) +
                                ", ram_slots = " + std::to_string(ram_slots));
  }
  periods_ = (num_steps - 1) / period;
  const Step last = num_steps - periods_ * period;
  if (ram_slots == 0 && last >= 2) {
    throw std::invalid_argument("two_level: the last period of " + std::to_string(last) +
                                " steps needs a RAM slot");
  }
  if (periods_ == 0) start_reversal();
}

// The last period is reversed from the working buffer with the RAM slots only; in every other
// period the disk checkpoint plays x_0 for up to ram_slots RAM snapshots.
void TwoLevelStream::start_reversal() {
  reversal_ = std::make_unique<detail::SegmentedReversal>(
      period_, num_steps_, periods_, false, kRam,
      // By value: the stream may move.
      [ram = ram_slots_, last = periods_, length = period_, n = num_steps_](Step period) {
        if (period == last) return std::min<std::int64_t>(ram, n - last * length);
        return std::min<std::int64_t>(ram, length - 1) + 1;
      },
      kDisk);
}

TwoLevelStream::~TwoLevelStream() = default;
TwoLevelStream::TwoLevelStream(TwoLevelStream&&) noexcept = default;
TwoLevelStream& TwoLevelStream::operator=(TwoLevelStream&&) noexcept = default;

std::optional<Action> TwoLevelStream::next() {
  if (!reversal_) {
    const Step start = next_store_ * period_;
    if (store_pending_) {
      store_pending_ = false;
      return Action::copy(start, Content::kState, kWork, kDisk);
    }
    store_pending_ = true;
    next_store_ += 1;
    if (next_store_ == periods_) start_reversal();
    return Action::forward(start, start + period_);
  }
  return reversal_->next();
}

std::optional<TwoLevelStream> two_level(const Chain& chain, const Platform& platform, Step period) {
  if (period < 1) {
    throw std::invalid_argument("two_level: period must be >= 1, got " + std::to_string(period));
  }
  if (platform.num_levels() < 2) return std::nullopt;
  const Step n = chain.num_steps();
  const Step periods = (n - 1) / period;
  const std::int64_t ram = platform.level(0).num_slots;
  if (platform.level(1).num_slots < periods) return std::nullopt;
  if (ram == 0 && n - periods * period >= 2) return std::nullopt;
  return TwoLevelStream(n, period, std::min<std::int64_t>(ram, n));
}

}  // namespace memsched
