// The schedule picture of a join graph as SVG: time across, one band of rows per chain.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "memsched/join/graph.hpp"
#include "memsched/join/simulate.hpp"

namespace memsched {

/// Replays `schedule` (throws ScheduleError if illegal) and draws it like the chain picture
/// (chain/svg.hpp): time across in unit steps, state index down, one band per branch and the
/// handle last; forward runs in black (recording in orange), adjoint steps in blue, stored
/// states as green bars from their store to their release. Returns the simulation report.
/// Meant for small graphs: every action is drawn (O(actions) output).
JoinReport write_join_svg(std::ostream& out, const JoinSchedule& schedule, const JoinGraph& graph,
                          std::int64_t slots);

}  // namespace memsched
