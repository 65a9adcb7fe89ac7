// A parallel list scheduler that never exceeds a memory bound (docs/theory/trees.md).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// Which activated, ready task an idle processor starts first.
enum class ExecutionPriority {
  kActivationOrder,  ///< the activation order itself
  kCriticalPath,     ///< largest weighted depth first (ParDeepestFirst's rule)
};

/// Options of memory_bounded_schedule.
struct MemoryBoundedOptions {
  /// Sequential order in which tasks are activated; empty means liu_optimal_traversal's.
  std::vector<NodeId> activation_order;
  ExecutionPriority priority = ExecutionPriority::kCriticalPath;
};

/// List scheduling on `processors` processors under a shared memory bound, with the
/// activation gate of docs/theory/trees.md (a conservative relative of MemBooking, Aupy,
/// Brasseur, Marchal, IPDPS 2017): tasks are activated in the activation order sigma while
/// the reserved memory R (outputs resident + m + f of activated, unfinished tasks) stays
/// within the bound; only activated tasks start; a completion returns m + children's f.
///
/// Guarantees: memory never exceeds `memory_bound` (actual memory <= R <= bound), and the
/// schedule completes whenever memory_bound >= sequential_peak(tree, sigma): if nothing
/// runs, the first unfinished task of sigma has all its children done and activating it
/// costs exactly its sequential footprint. With p = 1 and kActivationOrder it runs sigma.
/// Returns std::nullopt when the tasks cannot complete (possible only for smaller bounds).
///
/// Throws std::invalid_argument if processors < 1, memory_bound < 0, or the activation order
/// is not a traversal. O(n log n).
std::optional<ParallelSchedule> memory_bounded_schedule(const Tree& tree, std::int64_t processors,
                                                        Memory memory_bound,
                                                        const MemoryBoundedOptions& options = {});

}  // namespace memsched
