// An SVG picture of a graph schedule's memory over time, with the memory bound.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "memsched/graph/parallel.hpp"
#include "memsched/graph/simulate.hpp"

namespace memsched::graph {

/// The memory samples of a sequential schedule's timeline (simulate() with record_timeline):
/// memory during each step, from its start until the next step's start; the last step lasts
/// until `end_time` (the schedule's total time).
std::vector<GraphMemorySample> memory_samples(const std::vector<GraphTimelinePoint>& timeline);

/// Writes a self-contained SVG document: memory (y) as a step function of time (x) from
/// `samples` (each holds until the next; the last until end_time), a dashed line at
/// `memory_bound` when it is > 0, and `title` on top (escaped). Samples must be sorted by time.
/// Throws std::invalid_argument if samples is empty or end_time is below the last sample's
/// time or not finite.
void write_memory_svg(std::ostream& out, const std::vector<GraphMemorySample>& samples,
                      double end_time, Bytes memory_bound, const std::string& title);

}  // namespace memsched::graph
