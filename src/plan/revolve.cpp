// Revolve as a lazy stream over the binomial reversal controller.
#include "memsched/plan/revolve.hpp"

#include <algorithm>

#include "detail/binomial_reversal.hpp"
#include "memsched/plan/binomial.hpp"

namespace memsched {

RevolveStream::RevolveStream(Step num_steps, std::int64_t slots, Place level) {
  // Validates n and slots and rejects counts that overflow, before anything is emitted.
  revolve_advances(num_steps, slots);
  reversal_ = std::make_unique<detail::BinomialReversal>(0, num_steps, slots, level, false, true);
}

RevolveStream::~RevolveStream() = default;
RevolveStream::RevolveStream(RevolveStream&&) noexcept = default;
RevolveStream& RevolveStream::operator=(RevolveStream&&) noexcept = default;

std::optional<Action> RevolveStream::next() {
  if (done_) return std::nullopt;
  if (std::optional<Action> action = reversal_->next()) return action;
  done_ = true;
  return Action::end_reverse();
}

std::size_t RevolveStream::next_batch(Action* out, std::size_t capacity) {
  if (done_ || capacity == 0) return 0;
  // The controller writes whole decisions (a few actions); with less room, one at a time.
  std::size_t count = reversal_->fill(out, capacity);
  if (count == 0) {
    if (std::optional<Action> action = next()) {
      out[0] = *action;
      return 1;
    }
    return 0;
  }
  return count;
}

std::int64_t RevolveStream::replay(Simulator& simulator, std::int64_t max_actions) {
  if (done_ || max_actions < 1) return 0;
  std::int64_t count = reversal_->replay(simulator, max_actions);
  if (count == 0) {
    if (std::optional<Action> action = next()) {
      simulator.apply(*action);
      return 1;
    }
  }
  return count;
}

std::optional<RevolveStream> revolve(const Chain& chain, const Platform& platform) {
  const Step n = chain.num_steps();
  const std::int64_t slots = platform.fastest_slots();
  if (n > 1 && slots == 0) return std::nullopt;
  // More snapshots than steps are never used; capping keeps the arithmetic small.
  return RevolveStream(n, std::min<std::int64_t>(slots, n), 0);
}

}  // namespace memsched
