// The action vocabulary of chain schedules: what a schedule tells an executor to do, one step
// at a time. The simulator (simulate.hpp) is the single source of truth for what each means.
#pragma once

#include <cstdint>
#include <string>

#include "memsched/chain/chain.hpp"

namespace memsched {

class Platform;

/// What an action does. See Action for the exact meaning of each.
enum class ActionKind : std::uint8_t {
  kForward,
  kReverse,
  kCopy,
  kMove,
  kFree,
  kEndForward,
  kEndReverse,
};

/// What a checkpoint holds: a state x_i ("restart data"), or the tape of step i ("adjoint
/// dependencies": what the adjoint of step i needs, recorded by running step i forward).
enum class Content : std::uint8_t { kState, kTape };

/// A place that holds checkpoints: a storage level index (0, 1, ...) or the working buffer.
using Place = std::int32_t;
inline constexpr Place kWork = -1;

/// One action of a chain schedule; a plain value type (==, copyable, 40 bytes).
///
/// - Forward(begin, end, record): run forward steps begin..end-1 on the working state, which
///   must be x_begin; it becomes x_end. With `record`, keep the tape of every step run in the
///   working buffer (for a Reverse, or to be stored). Costs uf per step.
/// - Reverse(end, begin, clear): run the adjoint of steps end-1 down to begin; the adjoint
///   front must be at `end` and the tapes of those steps in the working buffer; the front moves
///   to `begin`. `clear` drops the tapes used (the normal case). Costs ub per step.
/// - Copy(step, content, from, to): copy a checkpoint between places (kWork or a level); the
///   source keeps it. A state copied into work replaces the working state (a "restore").
///   Reading from a level costs its read_cost, writing to a level its write_cost.
/// - Move(step, content, from, to): as Copy, then the source releases it (a "restore and
///   free", or storing a tape away from the working buffer).
/// - Free(step, content, at): release a checkpoint without reading it.
/// - EndForward(): the first forward sweep has reached x_n; the adjoint may start.
/// - EndReverse(): the adjoint front reached 0; a further reverse sweep may follow.
///
/// Fields not used by a kind are zero. Build actions with the factory functions.
struct Action {
  ActionKind kind = ActionKind::kEndForward;
  Content content = Content::kState;
  bool flag = false;  // Forward: record; Reverse: clear
  Place from = kWork;
  Place to = kWork;
  Step begin = 0;  // Forward/Reverse: first step of the range
  Step end = 0;    // Forward/Reverse: one past the last step of the range
  Step step = 0;   // Copy/Move/Free: the checkpoint's step

  static Action forward(Step begin, Step end, bool record = false) noexcept;
  static Action reverse(Step end, Step begin, bool clear = true) noexcept;
  static Action copy(Step step, Content content, Place from, Place to) noexcept;
  static Action move(Step step, Content content, Place from, Place to) noexcept;
  static Action free(Step step, Content content, Place at) noexcept;
  static Action end_forward() noexcept;
  static Action end_reverse() noexcept;

  bool record() const noexcept { return kind == ActionKind::kForward && flag; }
  bool clear() const noexcept { return kind == ActionKind::kReverse && flag; }

  friend bool operator==(const Action& a, const Action& b) noexcept;
  friend bool operator!=(const Action& a, const Action& b) noexcept { return !(a == b); }
};

/// The same action on steps moved by `offset` (the steps of a sub-chain's schedule, placed at
/// its position in a longer chain). EndForward and EndReverse are unchanged.
Action shifted(const Action& action, Step offset) noexcept;

/// Readable one-line form, e.g. "Forward(0, 2)", "Forward(3, 4, record)", "Reverse(4, 3)",
/// "Copy(state 2, work -> L0)", "Move(tape 5, L1 -> work)", "Free(state 2, L0)",
/// "EndForward()". Levels print as L<index>.
std::string to_string(const Action& action);
/// As above, with the platform's level names ("ram", "disk") instead of L<index>.
std::string to_string(const Action& action, const Platform& platform);
/// "forward", "reverse", "copy", "move", "free", "end_forward", "end_reverse".
const char* to_string(ActionKind kind) noexcept;
/// "state" or "tape".
const char* to_string(Content content) noexcept;

}  // namespace memsched
