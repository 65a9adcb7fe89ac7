// SVG pictures of heterogeneous chains: a schedule's memory over time, and the memory-time
// curve of the persistent planner.
#pragma once

#include <ostream>
#include <vector>

#include "memsched/hetero/persistent.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched {

/// Memory in use over time: one bar per operation (its peak, temporaries included; light:
/// forward, dark: recording forward, orange: backward and loss), the budget as a dashed line.
/// `timeline` is simulate()'s for `schedule` (one entry per operation), `makespan` its end.
/// Throws std::invalid_argument if the timeline and the schedule differ in length.
void write_hetero_schedule_svg(std::ostream& out, const HeteroSchedule& schedule,
                               const std::vector<HeteroTimelineEntry>& timeline, Bytes budget,
                               double makespan);

/// The memory-time curve (memory_time_curve) as a step plot of the optimal makespan over the
/// budget, a tenth wider than its last point. Throws std::invalid_argument if `curve` is empty.
void write_memory_time_curve_svg(std::ostream& out, const std::vector<CurvePoint>& curve);

}  // namespace memsched
