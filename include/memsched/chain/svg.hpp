// The classic schedule picture as SVG: time across, step index down, with storage occupancy.
#pragma once

#include <iosfwd>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"

namespace memsched {

/// Replays `stream` through the simulator (so the picture is of a legal schedule; throws
/// ScheduleError otherwise) and draws it: time across (the cost clock, or the action index if
/// every step is free), step index down; forward sweeps in black (recording runs in orange),
/// the adjoint front in blue, each checkpoint as a bar in its level's colour from its write to
/// its release, and below, the number of checkpoints held per level over time. Up to 20,000
/// actions every action is drawn; beyond, each of about 1,000 time columns shows the range of
/// positions and the peak occupancy it covers, so the picture stays small for any n.
/// Returns the simulation report. Memory: O(checkpoints held + 20,000).
SimulationReport write_schedule_svg(std::ostream& out, ActionStream& stream, const Chain& chain,
                                    const Platform& platform);

}  // namespace memsched
