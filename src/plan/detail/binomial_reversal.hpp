// The binomial reversal controller (Revolve's decisions one at a time) shared by the chain
// planners: an internal module of plan/, not installed. Parts above plan/ (join/) include it
// as "plan/detail/binomial_reversal.hpp"; scripts/check-layers allows no other private header
// across parts.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {
class Simulator;
}

namespace memsched::detail {

/// beta(d, r) (binomial.hpp) for d <= max_d and r <= max_r in one flat table, and from it the
/// largest optimal advance of optimal_advances() without 128-bit arithmetic or divisions: the
/// controller's decision for each advance is a short search in one row.
class BinomialTable {
 public:
  /// An empty table (every query misses).
  BinomialTable() = default;
  /// Rows d = 0..max_d, columns r = 0..max_r; O(max_d * max_r) time and memory.
  BinomialTable(std::int64_t max_d, std::int64_t max_r);

  /// optimal_advances(m, d).hi for m >= 2, d >= 2, or 0 if (m, d) lies outside the table (then
  /// ask optimal_advances).
  Step largest_advance(Step m, std::int64_t d) const noexcept {
    if (d > max_d_) return 0;
    const std::int64_t* row = &values_[static_cast<std::size_t>(d * (max_r_ + 1))];
    // repetition_number(m, d): the least r >= 1 with beta(d, r) >= m (rows increase in r).
    const std::int64_t* at = row + 1;
    const std::int64_t* const end = row + max_r_ + 1;
    if (max_r_ <= 16) {
      while (at != end && *at < m) ++at;
    } else {
      std::int64_t count = end - at;
      while (count > 0) {
        const std::int64_t half = count / 2;
        if (at[half] < m) {
          at += half + 1;
          count -= half + 1;
        } else {
          count = half;
        }
      }
    }
    if (at == end) return 0;
    const std::int64_t r = at - row;
    // hi = min(beta(d, r - 1), m - beta(d - 1, r - 1)) (Griewank & Walther 2000).
    const std::int64_t below = values_[static_cast<std::size_t>((d - 1) * (max_r_ + 1) + r - 1)];
    return std::min(row[r - 1], m - below);
  }

 private:
  std::int64_t max_d_ = -1;
  std::int64_t max_r_ = 0;
  std::vector<std::int64_t> values_;
};

/// Reverses the steps [begin, end) of a chain with `slots` snapshots on `level`, emitting the
/// Revolve actions one decision at a time (Griewank & Walther 2000).
///
/// The adjoint front starts at `end`. If `start_stored`, x_begin is already a snapshot on the
/// level (it counts towards `slots`) and the working buffer is unspecified; otherwise the
/// working buffer holds x_begin and it is not stored. The controller keeps the stack of its
/// snapshots (steps increasing); at each decision, with d = free snapshots plus the one at the
/// top, it either records and reverses the step just before the front, restores the top
/// snapshot (Move at its last use, Copy otherwise), stores the current state, or advances by
/// an optimal amount (optimal_advances) or, with d = 1, straight to the step before the front.
///
/// With `ends_forward_sweep`, the first recording run (the one that reaches x_end for the first
/// time) is followed by EndForward. A stored start may live on another level (`start_level`,
/// e.g. a disk checkpoint playing x_0 for RAM snapshots: two-level checkpointing); it still
/// counts towards `slots`.
class BinomialReversal {
 public:
  BinomialReversal(Step begin, Step end, std::int64_t slots, Place level, bool start_stored,
                   bool ends_forward_sweep, std::optional<Place> start_level = std::nullopt);

  /// The next action, or nullopt once the adjoint front reached `begin`.
  std::optional<Action> next() {
    if (head_ == count_) {
      count_ = refill();
      head_ = 0;
      if (count_ == 0) return std::nullopt;
    }
    return pending_[head_++];
  }

  /// Writes the next actions, whole decisions only, to `out` (room for `capacity`) and
  /// returns how many; 0 once the front reached `begin` or if no decision fits (a decision
  /// needs up to kMaxDecision places). The same actions as next(); the two may be mixed.
  std::size_t fill(Action* out, std::size_t capacity);
  /// Applies the next actions, whole decisions only and at most `max_actions`, to `simulator`
  /// (Simulator::apply, each action checked as it is generated) and returns how many; 0 once
  /// the front reached `begin` or if no decision fits. Throws ScheduleError like Simulator::apply.
  std::int64_t replay(Simulator& simulator, std::int64_t max_actions);

 private:
  // Passes the actions of the next decision (at most kMaxDecision) to `emit`; returns how
  // many, 0 once the front reached `begin`. Always inlined into run(): one decision is a few
  // instructions, a call would cost as much.
  template <class Emit>
  [[gnu::always_inline]] inline std::uint32_t step(Emit& emit);
  template <class Emit>
  std::int64_t run(Emit& emit, std::int64_t max_actions);
  Step largest_advance(Step m, std::int64_t d) {
    const Step advance = table_built_ ? table_.largest_advance(m, d) : 0;
    return advance > 0 ? advance : exact_largest_advance(m, d);
  }
  Step exact_largest_advance(Step m, std::int64_t d);
  std::uint32_t refill();

  static constexpr std::uint32_t kMaxDecision = 4;  // actions of one decision, at most
  std::array<Action, kMaxDecision> pending_{};
  std::uint32_t head_ = 0;
  std::uint32_t count_ = 0;
  bool end_forward_pending_;
  Step begin_;
  Step front_;
  std::int64_t slots_;
  Place level_;
  Place start_level_;
  Step working_;  // -1 when the working state is of no further use
  std::vector<Step> stack_;
  Step top_ = -1;  // stack_.back(), or -1 when the stack is empty
  BinomialTable table_;
  bool table_built_ = false;
};

/// Reverses [0, end) segment by segment, last first, for the schedules whose forward sweep
/// stores segment starts (periodic, two-level, online periodic). Segment j is
/// [j * period, (j + 1) * period) for j < last and [last * period, end) (any length: an online
/// sweep stops storing when its slots run out), reversed last first; the starts of segments
/// 0..last-1 are stored (on `start_level`, default `level`), and so is the last one's if
/// `last_start_stored` (otherwise the working buffer holds it). Segment j is reversed by the
/// binomial controller with slots(j) snapshots on `level`, its start counted among them; with
/// `ends_forward_sweep`, the last one's first recording run ends the forward sweep. Emits
/// EndReverse at the end.
class SegmentedReversal final : public ActionStream {
 public:
  using SlotRule = std::function<std::int64_t(Step segment)>;

  SegmentedReversal(Step period, Step end, Step last, bool last_start_stored, Place level,
                    SlotRule slots, std::optional<Place> start_level = std::nullopt,
                    bool ends_forward_sweep = true);
  SegmentedReversal(SegmentedReversal&&) noexcept;
  SegmentedReversal& operator=(SegmentedReversal&&) noexcept;
  ~SegmentedReversal() override;

  /// The next action, EndReverse last, then nullopt.
  std::optional<Action> next() override;

 private:
  void start_segment(bool stored, bool ends_forward_sweep);

  Step period_;
  Step end_;
  Step last_ = 0;
  Step segment_;  // the segment being reversed
  Place level_;
  std::optional<Place> start_level_;
  SlotRule slots_;
  std::unique_ptr<BinomialReversal> reversal_;
  bool done_ = false;
};

}  // namespace memsched::detail
