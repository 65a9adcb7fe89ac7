// SVG pictures of tree schedules: the tree with its traversal order, memory over time, and
// Gantt charts of parallel schedules.
#pragma once

#include <cstdint>
#include <ostream>

#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/traversal.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// Writes a standalone SVG: the tree (root on top; each node labelled with its id and, in
/// bold, its step in the traversal; drawn only up to kMaxSvgTreeNodes nodes) above a plot of
/// the memory in use during each step, with the peak marked. `traversal.order` must be a
/// traversal of `tree` (std::invalid_argument otherwise). O(n).
void write_traversal_svg(std::ostream& out, const Tree& tree, const Traversal& traversal);

/// Writes a standalone SVG: a Gantt chart (one row per processor) above the memory timeline
/// of simulate_parallel, with `memory_bound` drawn as a line when it is positive.
/// Throws like simulate_parallel. O(n log n).
void write_parallel_svg(std::ostream& out, const Tree& tree, const ParallelSchedule& schedule,
                        std::int64_t processors, Memory memory_bound = 0);

/// Largest tree drawn node by node; bigger trees get only the memory plot.
inline constexpr NodeId kMaxSvgTreeNodes = 400;

}  // namespace memsched
