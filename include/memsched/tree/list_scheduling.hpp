// Parallel list schedules of task trees without a memory bound (Eyraud-Dubois et al.,
// ACM TOPC 2015, §5) and mappings.
#pragma once

#include <cstdint>
#include <optional>
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

/// Proportional mapping (Pothen & Sun 1993; docs/theory/trees.md): the root owns processors
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

/// All-to-all mapping (Agullo, Amestoy, Buttari, Guermouche, L'Excellent, Rouet, SIAM J. Sci.
/// Comput. 38(3), 2016; docs/theory/trees.md, 'Mappings'): every node is given all p
/// processors and the tree is traversed sequentially in the optimal order (Liu 1987), so the
/// peak is exactly the sequential optimum. Our model runs a task on one processor and cannot
/// split it (simulate_parallel checks end = start + work), so the node-level parallelism the
/// paper assumes is not modelled: tasks run back to back, the k-th one labelled processor
/// k mod p, and the makespan is the total work (ideal node-level speedup would give
/// total work / p). Same contract as proportional_mapping; O(n log n).
ParallelSchedule all_to_all_mapping(const Tree& tree, std::int64_t processors);

/// The processor intervals of the memory-aware mapping (Agullo et al. 2016, the reference
/// above): top-down proportional mapping (see proportional_intervals) with a memory check at
/// every node: child c, given p_c processors of its parent's group, would need
/// M_seq(c) / p_c per processor (its sequential peak spread all-to-all over its group; as in
/// the paper, whose solver traverses subtrees in post-order, M_seq is the best post-order
/// peak of postorder_subtree_peaks, an upper bound on the optimum); if that exceeds the
/// per-processor bound M0 = memory_bound / processors, c is serialised, i.e. it gets the parent's
/// whole group instead of its share. Throws std::invalid_argument if processors < 1 or memory_bound
/// < 0. O(n log n + I).
std::vector<ProcessorInterval> memory_aware_intervals(const Tree& tree, std::int64_t processors,
                                                      Memory memory_bound);

/// Memory-aware mapping (Agullo et al. 2016): tasks run on an idle processor of their
/// memory_aware_intervals group, ready tasks in the optimal sequential order, and the
/// paper's serialisation is enforced at run time by the activation gate of
/// memory_bounded_schedule with σ = the optimal traversal and bound `memory_bound` (the total
/// shared memory, P * M0). Guarantee (the paper's "per-process memory <= M0 whenever
/// M0 >= M_seq / P", here in shared memory): the peak never exceeds memory_bound, and a
/// schedule is returned whenever memory_bound >= the optimal sequential peak; below that the
/// result is std::nullopt. Throws std::invalid_argument if processors < 1 or memory_bound < 0.
/// O((n + I) log n).
std::optional<ParallelSchedule> memory_aware_mapping(const Tree& tree, std::int64_t processors,
                                                     Memory memory_bound);

}  // namespace memsched
