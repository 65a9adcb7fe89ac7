// The binomial reversal controller (see detail/binomial_reversal.hpp).
#include "detail/binomial_reversal.hpp"

#include <cassert>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/plan/binomial.hpp"

namespace memsched::detail {

BinomialReversal::BinomialReversal(Step begin, Step end, std::int64_t slots, Place level,
                                   bool start_stored, bool ends_forward_sweep,
                                   std::optional<Place> start_level)
    : end_forward_pending_(ends_forward_sweep),
      begin_(begin),
      front_(end),
      slots_(slots),
      level_(level),
      start_level_(start_level.value_or(level)),
      working_(begin) {
  if (begin < 0 || end <= begin) {
    throw std::invalid_argument("revolve: bad step range [" + std::to_string(begin) + ", " +
                                std::to_string(end) + ")");
  }
  if (slots < 0 || (end - begin > 1 && slots == 0) || (start_stored && slots == 0)) {
    throw std::invalid_argument("revolve: " + std::to_string(end - begin) +
                                " steps cannot be reversed with " + std::to_string(slots) +
                                " snapshot(s)");
  }
  if (start_stored) {
    stack_.push_back(begin);
    working_ = -1;
  }
}

bool BinomialReversal::step() {
  ActionQueue& out = queue_;
  if (front_ == begin_) return false;
  if (working_ == front_ - 1) {
    // Joint reversal of the step just before the front: record it, then run its adjoint.
    out.push(Action::forward(working_, front_, true));
    if (end_forward_pending_) {
      out.push(Action::end_forward());
      end_forward_pending_ = false;
    }
    out.push(Action::reverse(front_, working_));
    front_ -= 1;
    working_ = -1;
    return true;
  }
  if (working_ < 0) {
    // Restore the top snapshot; it is of no further use once the front is just after it.
    assert(!stack_.empty());
    const Step top = stack_.back();
    const Place from = top == begin_ ? start_level_ : level_;
    if (top == front_ - 1) {
      out.push(Action::move(top, Content::kState, from, kWork));
      stack_.pop_back();
    } else {
      out.push(Action::copy(top, Content::kState, from, kWork));
    }
    working_ = top;
    return true;
  }
  if (stack_.empty() || stack_.back() != working_) {
    // An unstored state with at least two steps to the front: keep it if a slot is free.
    if (static_cast<std::int64_t>(stack_.size()) < slots_) {
      out.push(Action::copy(working_, Content::kState, kWork, level_));
      stack_.push_back(working_);
      return true;
    }
    // No free slot (only inside the d = 1 sweep): go straight to the step before the front.
    out.push(Action::forward(working_, front_ - 1));
    working_ = front_ - 1;
    return true;
  }
  // The working state is the top snapshot, with d snapshots for the range (its own included).
  const std::int64_t d = slots_ - static_cast<std::int64_t>(stack_.size()) + 1;
  const Step m = front_ - working_;
  Step advance = m - 1;
  if (d >= 2) {
    // Griewank's DP t(m, d) = min_i [i + t(m - i, d - 1) + t(i, d)]; any i of the optimal
    // interval is a minimiser (docs/theory/chain.md). We take the largest.
    advance = optimal_advances(m, d).hi;
    assert(advance >= 1 && advance < m);
  }
  out.push(Action::forward(working_, working_ + advance));
  working_ += advance;
  return true;
}

SegmentedReversal::SegmentedReversal(Step period, Step end, Step last, bool last_start_stored,
                                     Place level, SlotRule slots, std::optional<Place> start_level,
                                     bool ends_forward_sweep)
    : period_(period),
      end_(end),
      segment_(last),
      level_(level),
      start_level_(start_level),
      slots_(std::move(slots)) {
  if (period < 1 || last < 0 || last * period >= end) {
    throw std::invalid_argument("segmented reversal: segment " + std::to_string(last) +
                                " of period " + std::to_string(period) + " is not in [0, " +
                                std::to_string(end) + ")");
  }
  last_ = last;
  start_segment(last_start_stored, ends_forward_sweep);
}

SegmentedReversal::SegmentedReversal(SegmentedReversal&&) noexcept = default;
SegmentedReversal& SegmentedReversal::operator=(SegmentedReversal&&) noexcept = default;
SegmentedReversal::~SegmentedReversal() = default;

void SegmentedReversal::start_segment(bool stored, bool ends_forward_sweep) {
  const Step begin = segment_ * period_;
  const Step stop = segment_ == last_ ? end_ : begin + period_;
  reversal_ =
      std::make_unique<BinomialReversal>(begin, stop, slots_(segment_), level_, stored,
                                         ends_forward_sweep, stored ? start_level_ : std::nullopt);
}

std::optional<Action> SegmentedReversal::next() {
  if (done_) return std::nullopt;
  while (true) {
    if (std::optional<Action> action = reversal_->next()) return action;
    if (segment_ == 0) {
      done_ = true;
      return Action::end_reverse();
    }
    segment_ -= 1;
    start_segment(true, false);
  }
}

}  // namespace memsched::detail
