// Online schedules: periodic stores with an unknown length, and Revolve after the fact.
#include "memsched/exec/online.hpp"

#include <stdexcept>
#include <string>

#include "memsched/plan/revolve.hpp"
#include "plan/binomial_reversal.hpp"

namespace memsched {

OnlinePeriodic::OnlinePeriodic(Step period, std::int64_t slots, Place level)
    : period_(period), slots_(slots), level_(level) {
  if (period < 1 || slots < 1) {
    throw std::invalid_argument("OnlinePeriodic: needs period >= 1 and slots >= 1, got period = " +
                                std::to_string(period) + ", slots = " + std::to_string(slots));
  }
}

OnlinePeriodic::~OnlinePeriodic() = default;

std::optional<Action> OnlinePeriodic::next() {
  if (!reversal_) {
    // Forward sweep: store every period-th state while slots are left, one step at a time.
    if (store_pending_ && step_ % period_ == 0 && stored_ < slots_) {
      store_pending_ = false;
      stored_ += 1;
      return Action::copy(step_, Content::kState, kWork, level_);
    }
    store_pending_ = true;
    step_ += 1;
    return Action::forward(step_ - 1, step_);
  }
  return reversal_->next();
}

void OnlinePeriodic::finish(Step num_steps) {
  if (num_steps < 1 || num_steps != step_) {
    throw std::invalid_argument("OnlinePeriodic::finish: the sweep is at step " +
                                std::to_string(step_) + ", not " + std::to_string(num_steps));
  }
  // The stored starts are 0, k, ..., (stored-1)k; the last segment runs to n. Segment j may
  // use the slots the earlier starts leave.
  reversal_ = std::make_unique<detail::SegmentedReversal>(
      period_, num_steps, stored_ - 1, true, level_,
      [slots = slots_](Step segment) { return slots - segment; });
}

OnlineRevolve::OnlineRevolve(std::int64_t slots, Place level) : slots_(slots), level_(level) {
  if (slots < 1) {
    throw std::invalid_argument("OnlineRevolve: needs slots >= 1, got " + std::to_string(slots));
  }
}

OnlineRevolve::~OnlineRevolve() = default;

std::optional<Action> OnlineRevolve::next() {
  if (!revolve_) {
    if (!stored_) {
      stored_ = true;
      return Action::copy(0, Content::kState, kWork, level_);
    }
    step_ += 1;
    return Action::forward(step_ - 1, step_);
  }
  if (restore_pending_) {
    restore_pending_ = false;
    return Action::move(0, Content::kState, level_, kWork);
  }
  return revolve_->next();
}

void OnlineRevolve::finish(Step num_steps) {
  if (num_steps < 1 || num_steps != step_) {
    throw std::invalid_argument("OnlineRevolve::finish: the sweep is at step " +
                                std::to_string(step_) + ", not " + std::to_string(num_steps));
  }
  restore_pending_ = true;
  revolve_ = std::make_unique<RevolveStream>(num_steps, slots_, level_);
}

}  // namespace memsched
