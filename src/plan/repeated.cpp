// Repeated adjoints (see repeated.hpp).
#include "memsched/plan/repeated.hpp"

#include <stdexcept>
#include <string>

#include "detail/binomial_reversal.hpp"
#include "memsched/chain/chain.hpp"
#include "memsched/plan/binomial.hpp"
#include "util/int128.hpp"

namespace memsched {

namespace {

void check(Step n, std::int64_t slots, std::int64_t sweeps, std::int64_t kept) {
  if (n < 1 || sweeps < 1 || kept < 1 || kept > slots || kept > n) {
    throw std::invalid_argument(
        "repeated: needs n >= 1, sweeps >= 1 and 1 <= kept <= min(slots, n), got n = " +
        std::to_string(n) + ", slots = " + std::to_string(slots) +
        ", sweeps = " + std::to_string(sweeps) + ", kept = " + std::to_string(kept));
  }
}

std::vector<Step> spaced(Step n, std::int64_t kept) {
  std::vector<Step> out;
  for (std::int64_t j = 0; j < kept; ++j) {
    out.push_back(static_cast<Step>(static_cast<detail::Int128>(n) * j / kept));
  }
  return out;
}

}  // namespace

std::int64_t repeated_forward_steps(Step n, std::int64_t slots, std::int64_t sweeps,
                                    std::int64_t kept) {
  check(n, slots, sweeps, kept);
  const std::vector<Step> at = spaced(n, kept);
  std::int64_t held_sweep = 0;  // advances of a sweep that keeps every kept state
  std::int64_t last_sweep = 0;  // advances of the sweep that releases them
  for (std::size_t j = 0; j < at.size(); ++j) {
    const Step len = (j + 1 < at.size() ? at[j + 1] : n) - at[j];
    held_sweep += revolve_advances(len, slots - kept + 1);
    last_sweep += revolve_advances(len, slots - static_cast<std::int64_t>(j));
  }
  return at.back() + (sweeps - 1) * held_sweep + last_sweep + sweeps * n;
}

std::int64_t best_kept_checkpoints(Step n, std::int64_t slots, std::int64_t sweeps) {
  std::int64_t best = 1;
  std::int64_t best_steps = repeated_forward_steps(n, slots, sweeps, 1);
  for (std::int64_t kept = 2; kept <= std::min<std::int64_t>(slots, n); ++kept) {
    const std::int64_t steps = repeated_forward_steps(n, slots, sweeps, kept);
    if (steps < best_steps) {
      best_steps = steps;
      best = kept;
    }
  }
  return best;
}

RepeatedStream::RepeatedStream(Step num_steps, std::int64_t slots, std::int64_t sweeps,
                               std::int64_t kept, Place level)
    : num_steps_(num_steps), slots_(slots), sweeps_(sweeps), level_(level) {
  check(num_steps, slots, sweeps, kept);
  kept_ = spaced(num_steps, kept);
}

RepeatedStream::~RepeatedStream() = default;
RepeatedStream::RepeatedStream(RepeatedStream&&) noexcept = default;
RepeatedStream& RepeatedStream::operator=(RepeatedStream&&) noexcept = default;

void RepeatedStream::start_interval() {
  const bool last = sweep_ + 1 == sweeps_;
  const Step begin = kept_[interval_];
  const Step end = interval_ + 1 < kept_.size() ? kept_[interval_ + 1] : num_steps_;
  const std::int64_t kept = static_cast<std::int64_t>(kept_.size());
  const std::int64_t slots =
      last ? slots_ - static_cast<std::int64_t>(interval_) : slots_ - kept + 1;
  reversal_ = std::make_unique<detail::BinomialReversal>(
      begin, end, slots, level_, true, sweep_ == 0 && interval_ + 1 == kept_.size());
}

std::optional<Action> RepeatedStream::next() {
  if (done_) return std::nullopt;
  if (stored_ < kept_.size()) {
    // Forward run: store the kept states, advancing between them.
    const Step at = kept_[stored_];
    const Step working = stored_ == 0 ? 0 : kept_[stored_ - 1];
    if (working != at && !sweep_started_) {
      sweep_started_ = true;  // reused as "advance emitted" during the forward run
      return Action::forward(working, at);
    }
    sweep_started_ = false;
    stored_ += 1;
    return Action::copy(at, Content::kState, kWork, level_);
  }
  while (true) {
    if (!reversal_) {
      interval_ = kept_.size() - 1;
      start_interval();
    }
    if (std::optional<Action> action = reversal_->next()) {
      // Until the last sweep, a kept state is loaded and kept (Copy), never released (Move).
      if (sweep_ + 1 < sweeps_ && action->kind == ActionKind::kMove && action->from == level_ &&
          action->step == kept_[interval_]) {
        return Action::copy(action->step, Content::kState, level_, kWork);
      }
      return action;
    }
    if (interval_ > 0) {
      interval_ -= 1;
      start_interval();
      continue;
    }
    reversal_.reset();
    sweep_ += 1;
    if (sweep_ == sweeps_) done_ = true;
    return Action::end_reverse();
  }
}

std::optional<RepeatedStream> repeated(const Chain& chain, const Platform& platform,
                                       std::int64_t sweeps) {
  if (sweeps < 1) {
    throw std::invalid_argument("repeated: needs at least one sweep, got " +
                                std::to_string(sweeps));
  }
  if (platform.num_levels() == 0 || platform.level(0).num_slots < 1) return std::nullopt;
  const Step n = chain.num_steps();
  const std::int64_t slots = std::min<std::int64_t>(platform.level(0).num_slots, n);
  return RepeatedStream(n, slots, sweeps, best_kept_checkpoints(n, slots, sweeps));
}

}  // namespace memsched
