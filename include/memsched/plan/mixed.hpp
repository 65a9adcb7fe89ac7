// Mixed storage (Maddison, J. Comput. Sci. 82:102405, 2024): a slot holds either a state or one
// step's tape; the schedule with the fewest forward steps.
#pragma once

#include <cstdint>
#include <optional>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

/// The largest chain Mixed plans (its table is O(n·s), its time O(n²·s); docs/benchmarks.md).
inline constexpr Step kMaxMixedSteps = 100'000;

/// M(n, s): the fewest forward steps (project convention: recording runs included, so the
/// store-everything case costs n) that reverse n steps when each of `slots` slots holds a state
/// or one step's tape and the working buffer holds the current state and one tape.
/// Maddison's recurrence (checkpoint_schedules `mixed.py`): M(n, s) = n if n <= s + 1;
/// otherwise min{1 + M(n-1, s-1), min_{2<=i<n} [i + M(i, s) + M(n-i, s-1)]}, with M(n, 0)
/// infeasible for n > 1 (nullopt). n = 1000, s = 10 gives 3921 (Revolve: 4636).
/// Throws std::invalid_argument if n < 1, n > kMaxMixedSteps or slots < 0. O(n²·min(s, n)).
std::optional<std::int64_t> mixed_forward_steps(Step num_steps, std::int64_t slots);

/// The optimal Mixed schedule on `slots` slots of storage level `level`: tapes are recorded with
/// Forward(i, i+1, record) and stored with Move(i, tape, work -> level); states with
/// Copy(i, state, work -> level); each is loaded back with Move at its only use, so everything
/// written is released. simulate() reports forward_steps == mixed_forward_steps(n, slots).
/// nullopt if infeasible (slots = 0 and n > 1). Same exceptions and cost as
/// mixed_forward_steps; the schedule has O(n + M(n, s)/1) actions, at most about 5 per
/// forward-step run.
std::optional<Schedule> mixed_schedule(Step num_steps, std::int64_t slots, Place level = 0);

/// Mixed on a platform: the slots of level 0 (the others and all costs are ignored: it minimises
/// forward steps, which is optimal for uniform step costs and free storage).
///
///     auto schedule = mixed(Chain(1000), Platform::ram(10));
///     // simulate(*schedule, Chain(1000), Platform::ram(10)).forward_steps == 3921
std::optional<Schedule> mixed(const Chain& chain, const Platform& platform);

}  // namespace memsched
