// The binomial reversal controller shared by Revolve and the periodic schedules.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/chain/action.hpp"

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

}  // namespace memsched::detail
