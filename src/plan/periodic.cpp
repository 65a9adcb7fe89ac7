// Periodic checkpointing: a forward sweep that stores segment starts, then Revolve per segment.
#include "memsched/plan/periodic.hpp"

#include <stdexcept>
#include <string>

#include "detail/binomial_reversal.hpp"
#include "memsched/plan/binomial.hpp"
#include "util/int128.hpp"

namespace memsched {

namespace {

Step count_segments(Step n, Step period) { return (n - 1) / period + 1; }

void check_counts(Step n, Step period) {
  if (n < 1 || period < 1) {
    throw std::invalid_argument("periodic: needs n >= 1 and period >= 1, got n = " +
                                std::to_string(n) + ", period = " + std::to_string(period));
  }
  // Each segment costs at most its own Revolve with one slot: check that fits in 64 bits.
  const Step length = std::min(period, n);
  const detail::Int128 per_segment = static_cast<detail::Int128>(length) * (length + 1) / 2;
  if (per_segment * count_segments(n, period) + n > INT64_MAX) {
    throw std::overflow_error("periodic: the forward step count may exceed 2^63");
  }
}

}  // namespace

std::int64_t periodic_min_slots(Step num_steps, Step period) {
  check_counts(num_steps, period);
  const Step segments = count_segments(num_steps, period);
  const Step last_length = num_steps - (segments - 1) * period;
  return (segments - 1) + (last_length >= 2 ? 1 : 0);
}

PeriodicStream::PeriodicStream(Step num_steps, Step period, std::int64_t slots, Place level)
    : num_steps_(num_steps), period_(period), slots_(slots), level_(level) {
  const std::int64_t needed = periodic_min_slots(num_steps, period);
  if (slots < needed) {
    throw std::invalid_argument("periodic: period " + std::to_string(period) + " over " +
                                std::to_string(num_steps) + " steps needs " +
                                std::to_string(needed) + " slots, got " + std::to_string(slots));
  }
  segments_ = count_segments(num_steps, period);
  if (segments_ == 1) start_reversal();
}

// Segments 0..j are stored when segment j is reversed: it may use the slots the others leave.
void PeriodicStream::start_reversal() {
  reversal_ = std::make_unique<detail::SegmentedReversal>(
      period_, num_steps_, segments_ - 1, false, level_,
      [slots = slots_](Step segment) { return slots - segment; });
}

PeriodicStream::~PeriodicStream() = default;
PeriodicStream::PeriodicStream(PeriodicStream&&) noexcept = default;
PeriodicStream& PeriodicStream::operator=(PeriodicStream&&) noexcept = default;

std::optional<Action> PeriodicStream::next() {
  if (!reversal_) {
    // Forward sweep: store each segment start but the last, and advance over its segment.
    const Step start = next_store_ * period_;
    if (store_pending_) {
      store_pending_ = false;
      return Action::copy(start, Content::kState, kWork, level_);
    }
    store_pending_ = true;
    next_store_ += 1;
    // The last segment continues from the working state, unstored.
    if (next_store_ == segments_ - 1) start_reversal();
    return Action::forward(start, start + period_);
  }
  return reversal_->next();
}

std::optional<PeriodicStream> periodic(const Chain& chain, const Platform& platform, Step period) {
  const Step n = chain.num_steps();
  if (period < 1 || period > n) {
    throw std::invalid_argument("periodic: period must be in [1, " + std::to_string(n) + "], got " +
                                std::to_string(period));
  }
  const std::int64_t slots = platform.fastest_slots();
  if (slots < periodic_min_slots(n, period)) return std::nullopt;
  return PeriodicStream(n, period, std::min<std::int64_t>(slots, n), 0);
}

std::optional<PeriodicStream> store_all(const Chain& chain, const Platform& platform) {
  return periodic(chain, platform, 1);
}

std::optional<PeriodicStream> recompute_all(const Chain& chain, const Platform& platform) {
  const Step n = chain.num_steps();
  const std::int64_t slots = platform.fastest_slots();
  if (slots < periodic_min_slots(n, n)) return std::nullopt;
  return PeriodicStream(n, n, std::min<std::int64_t>(slots, 1), 0);
}

}  // namespace memsched
