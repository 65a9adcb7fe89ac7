// Parallel list schedules of task trees without a memory bound (TOPC'15 §5) and mappings.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// ParInnerFirst (Eyraud-Dubois, Marchal, Sinnen, Vivien, ACM TOPC 2015 §5.2): list
/// scheduling where ready inner nodes go before ready leaves, each group in the order of the
/// optimal sequential traversal. Good makespan, no memory guarantee. The result's makespan
/// and peak are measured by simulate_parallel. Throws std::invalid_argument if processors < 1.
/// O(n log n).
ParallelSchedule par_inner_first(const Tree& tree, std::int64_t processors);

/// ParDeepestFirst (TOPC'15 §5.2): ready tasks by non-increasing weighted depth (work on the
/// path to the root), i.e. critical path first. Same contract as par_inner_first.
ParallelSchedule par_deepest_first(const Tree& tree, std::int64_t processors);

/// ParSubtrees (TOPC'15 §5.1): split the tree into subtrees by repeatedly cutting the
/// heaviest one (by total work), keeping the split that minimises
/// "heaviest subtree + work left outside the p heaviest"; the p heaviest subtrees run one per
/// processor with their optimal traversal, the rest runs on processor 0 afterwards. Memory at
/// most p times the sequential optimum. Same contract; O(n log n).
ParallelSchedule par_subtrees(const Tree& tree, std::int64_t processors);

/// Proportional mapping (Pothen & Sun 1993; docs/trees.md §3.6): the root owns processors
/// [0, p); each node splits its interval among its children in proportion to their subtree
/// work; a task runs on an idle processor of its interval (subtree-to-subcube), ready tasks
/// in the order of the optimal sequential traversal. Same contract; O((n + I) log n) where I
/// is the total width of the processor intervals (about p times the tree height).
ParallelSchedule proportional_mapping(const Tree& tree, std::int64_t processors);

/// The processor interval [first, last] proportional mapping gives each node.
struct ProcessorInterval {
  std::int64_t first = 0;
  std::int64_t last = 0;
};
std::vector<ProcessorInterval> proportional_intervals(const Tree& tree, std::int64_t processors);

}  // namespace memsched
