// The binomial reversal controller (see detail/binomial_reversal.hpp).
#include "detail/binomial_reversal.hpp"

#include <cassert>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/chain/simulate.hpp"
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
    top_ = begin;
    working_ = -1;
  }
}

namespace {

// The controller's actions (the same values as Action's factories), built where they are
// emitted so that a sink inlined into the controller (a buffer, the simulator) sees constants.
inline Action range_action(ActionKind kind, Step begin, Step end, bool flag) noexcept {
  Action a;
  a.kind = kind;
  a.flag = flag;
  a.begin = begin;
  a.end = end;
  return a;
}

inline Action state_action(ActionKind kind, Step step, Place from, Place to) noexcept {
  Action a;
  a.kind = kind;
  a.content = Content::kState;
  a.step = step;
  a.from = from;
  a.to = to;
  return a;
}

}  // namespace

template <class Emit>
inline std::uint32_t BinomialReversal::step(Emit& emit) {
  // Restores the top snapshot; it is of no further use once the front is just after it.
  auto restore = [&] {
    assert(!stack_.empty());
    const Step top = top_;
    const Place from = top == begin_ ? start_level_ : level_;
    if (top == front_ - 1) {
      emit(state_action(ActionKind::kMove, top, from, kWork));
      stack_.pop_back();
      top_ = stack_.empty() ? -1 : stack_.back();
    } else {
      emit(state_action(ActionKind::kCopy, top, from, kWork));
    }
    working_ = top;
  };
  // Keeps the working state if a slot is free (the caller knows it is not stored yet).
  auto store = [&] {
    emit(state_action(ActionKind::kCopy, working_, kWork, level_));
    stack_.push_back(working_);
    top_ = working_;
  };
  // A decision is one action, or two where the next decision is known without looking: a
  // restore always follows a reversed step, and a store an advance that leaves two or more
  // steps to the front while a slot is free.
  if (front_ == begin_) return 0;
  if (working_ == front_ - 1) {
    // Joint reversal of the step just before the front: record it, then run its adjoint.
    std::uint32_t emitted = 2;
    if (end_forward_pending_) {
      emit(range_action(ActionKind::kForward, working_, front_, true));
      emit(range_action(ActionKind::kEndForward, 0, 0, false));
      emit(range_action(ActionKind::kReverse, working_, front_, true));
      end_forward_pending_ = false;
      emitted = 3;
    } else {
      emit.joint(working_);
    }
    front_ -= 1;
    working_ = -1;
    if (front_ == begin_) return emitted;
    restore();
    return emitted + 1;
  }
  if (working_ < 0) {
    restore();
    return 1;
  }
  const auto depth = static_cast<std::int64_t>(stack_.size());
  if (top_ != working_) {
    // An unstored state with at least two steps to the front: keep it if a slot is free.
    if (depth < slots_) {
      store();
      return 1;
    }
    // No free slot (only inside the d = 1 sweep): go straight to the step before the front.
    emit(range_action(ActionKind::kForward, working_, front_ - 1, false));
    working_ = front_ - 1;
    return 1;
  }
  // The working state is the top snapshot, with d snapshots for the range (its own included).
  const std::int64_t d = slots_ - depth + 1;
  const Step m = front_ - working_;
  Step advance = m - 1;
  if (d >= 2) {
    // Griewank's DP t(m, d) = min_i [i + t(m - i, d - 1) + t(i, d)]; any i of the optimal
    // interval is a minimiser (docs/theory/chain.md). We take the largest.
    advance = largest_advance(m, d);
    assert(advance >= 1 && advance < m);
  }
  emit(range_action(ActionKind::kForward, working_, working_ + advance, false));
  working_ += advance;
  if (working_ == front_ - 1 || depth >= slots_) return 1;
  store();
  return 2;
}

Step BinomialReversal::exact_largest_advance(Step m, std::int64_t d) {
  if (!table_built_) {
    // The subproblems of an optimal reversal of m steps with d snapshots never need more than
    // r = repetition_number(m, d) repetitions: the left part of a split has r - 1 at most, the
    // right part r (Griewank & Walther 2000), so one table of beta(d', r') for d' <= d and
    // r' <= r answers every later decision. It is built only where it costs no more than the
    // steps it serves (O(1) per action) and stays small; other queries use the exact formula.
    table_built_ = true;
    const std::int64_t r = repetition_number(m, d);
    constexpr std::int64_t kMaxEntries = std::int64_t{1} << 18;
    if (d < kMaxEntries && r < kMaxEntries && (d + 1) * (r + 1) <= kMaxEntries &&
        (d + 1) * (r + 1) <= std::max<std::int64_t>(m, 64)) {
      table_ = BinomialTable(d, r);
      const Step advance = table_.largest_advance(m, d);
      if (advance > 0) return advance;
    }
  }
  return optimal_advances(m, d).hi;
}

template <class Emit>
std::int64_t BinomialReversal::run(Emit& emit, std::int64_t max_actions) {
  std::int64_t count = 0;
  while (head_ != count_ && count < max_actions) {
    emit(pending_[head_++]);
    ++count;
  }
  while (max_actions - count >= kMaxDecision) {
    const std::uint32_t emitted = step(emit);
    if (emitted == 0) break;
    count += emitted;
  }
  return count;
}

namespace {

// Where step() sends its actions: a buffer, or the simulator. joint(i) is Forward(i, i + 1,
// record) followed by Reverse(i + 1, i).
struct BufferEmit {
  Action* out;
  void operator()(const Action& action) noexcept { *out++ = action; }
  void joint(Step i) noexcept {
    *out++ = range_action(ActionKind::kForward, i, i + 1, true);
    *out++ = range_action(ActionKind::kReverse, i, i + 1, true);
  }
};

struct SimulatorEmit {
  Simulator* simulator;
  void operator()(const Action& action) { simulator->apply(action); }
  void joint(Step i) { simulator->apply_joint_step(i); }
};

}  // namespace

std::uint32_t BinomialReversal::refill() {
  BufferEmit emit{pending_.data()};
  return step(emit);
}

std::size_t BinomialReversal::fill(Action* out, std::size_t capacity) {
  BufferEmit emit{out};
  return static_cast<std::size_t>(run(emit, static_cast<std::int64_t>(capacity)));
}

std::int64_t BinomialReversal::replay(Simulator& simulator, std::int64_t max_actions) {
  SimulatorEmit emit{&simulator};
  return run(emit, max_actions);
}

BinomialTable::BinomialTable(std::int64_t max_d, std::int64_t max_r)
    : max_d_(max_d), max_r_(max_r), values_(static_cast<std::size_t>((max_d + 1) * (max_r + 1))) {
  // Pascal's rule beta(d, r) = beta(d - 1, r) + beta(d, r - 1), saturating like beta() does.
  const auto width = static_cast<std::size_t>(max_r + 1);
  for (std::size_t d = 0; d <= static_cast<std::size_t>(max_d); ++d) {
    for (std::size_t r = 0; r < width; ++r) {
      std::int64_t value = 1;
      if (d > 0 && r > 0) {
        const std::int64_t left = values_[(d - 1) * width + r];
        const std::int64_t up = values_[d * width + r - 1];
        value = left >= kBinomialSaturation - up ? kBinomialSaturation : left + up;
      }
      values_[d * width + r] = value;
    }
  }
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
