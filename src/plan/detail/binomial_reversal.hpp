// The binomial reversal controller (Revolve's decisions one at a time) shared by the chain
// planners: an internal module of plan/, not installed. Parts above plan/ (join/) include it
// as "plan/detail/binomial_reversal.hpp"; scripts/check-layers allows no other private header
// across parts.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/action.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched::detail {

/// A short FIFO of actions: one controller decision emits at most four.
class ActionQueue {
 public:
  bool empty() const noexcept { return head_ == tail_; }
  void push(const Action& action) noexcept { items_[tail_++ % items_.size()] = action; }
  Action pop() noexcept { return items_[head_++ % items_.size()]; }

 private:
  std::array<Action, 8> items_{};
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
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
    if (queue_.empty() && !step()) return std::nullopt;
    return queue_.pop();
  }

 private:
  /// Pushes the actions of the next decision; returns false once the front reached `begin`.
  bool step();

  ActionQueue queue_;
  bool end_forward_pending_;
  Step begin_;
  Step front_;
  std::int64_t slots_;
  Place level_;
  Place start_level_;
  Step working_;  // -1 when the working state is of no further use
  std::vector<Step> stack_;
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
