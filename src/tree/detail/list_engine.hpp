// Private: the event-driven list scheduler shared by every parallel tree heuristic.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched::detail {

/// The activation gate (docs/theory/trees.md): tasks are activated in `order` while the reservation
/// R + m + f <= bound; only activated tasks may start; a completion returns m + sum children f.
struct ActivationGate {
  const std::vector<NodeId>* order = nullptr;
  Memory bound = 0;
};

/// What the engine needs: a rank per node (lower starts first among ready tasks), optionally
/// a processor interval per node (the task may only run on processors lo..hi), optionally a
/// gate. Returns the schedule with makespan and peak measured by simulate_parallel, or
/// nullopt if nothing can run while tasks remain (only possible with a gate).
struct ListRequest {
  std::vector<std::int64_t> rank;
  std::vector<std::int64_t> proc_lo;  // empty: any processor
  std::vector<std::int64_t> proc_hi;
  std::optional<ActivationGate> gate;
};

std::optional<ParallelSchedule> run_list_schedule(const Tree& tree, std::int64_t processors,
                                                  const ListRequest& request);

/// Ranks 0..n-1 following `order` (rank[order[k]] = k).
std::vector<std::int64_t> ranks_from_order(const std::vector<NodeId>& order);

/// Ranks by non-increasing weighted depth (work on the path to the root, node included),
/// ties by position in `tie_order`.
std::vector<std::int64_t> deepest_first_ranks(const Tree& tree,
                                              const std::vector<NodeId>& tie_order);

}  // namespace memsched::detail
