// The replay simulator of join-graph schedules: legality, forward steps and slot peak.
#pragma once

#include <cstdint>

#include "memsched/join/graph.hpp"

namespace memsched {

/// What a legal join schedule did. forward_steps counts every forward step run, the recording
/// runs included (as for chains: sum of L_b + H once, plus recomputations, plus recordings).
struct JoinReport {
  std::int64_t num_actions = 0;
  std::int64_t forward_steps = 0;
  std::int64_t adjoint_steps = 0;
  std::int64_t peak_slots = 0;  ///< most states stored at once, branch inputs included
};

/// Replays `schedule` on `graph` with `slots` storage slots (one free level, "ram") and a
/// working buffer holding one state and the tape of one step, and throws ScheduleError naming
/// the first illegal action.
///
/// Start: x^0_0 in the working buffer, every other branch input stored (they count towards
/// the slots). Rules as for chains (simulate.hpp) per chain, plus: the join (handle Forward
/// from 0) needs every branch output stored or in the working buffer; a branch step is
/// reversed only after the join; a branch output may be restored until the join is reversed;
/// EndForward once h_H has been reached; the schedule ends with EndReverse with every front at
/// 0 and nothing stored. Throws std::invalid_argument if slots < k - 1 (the inputs do not fit).
JoinReport simulate_join(const JoinSchedule& schedule, const JoinGraph& graph, std::int64_t slots);

}  // namespace memsched
