// Minimum-peak orders of a graph: each node computed once, each output freed after its last
// consumer; an exact dynamic program over downsets and a fast heuristic, both with a lower bound.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/graph/graph.hpp"

namespace memsched::graph {

/// An order of every node and what is known about its peak.
struct GraphTraversal {
  std::vector<NodeIndex> order;  ///< every node once, each after its predecessors
  Bytes peak = 0;                ///< order_peak(graph, order)
  Bytes lower_bound = 0;         ///< no order of the graph peaks below this
  bool optimal = false;          ///< peak is proved minimal (then lower_bound == peak)
};

/// A lower bound on the peak of every order, and on every budget with recomputation:
/// the larger of max over v of (input bytes + bytes + temp_bytes) (v's inputs and output are
/// resident together while it runs) and the sum of the sinks' bytes (all resident at the end;
/// the last node computed is a sink, counted once). O(n).
Bytes peak_lower_bound(const Graph& graph);

/// Limits of the exact traversal.
struct ExactTraversalOptions {
  /// Largest number of downsets the dynamic program may store; beyond it it refuses.
  std::int64_t max_states = 2'000'000;
  /// Return min_peak_heuristic's order without searching when it is proved optimal (an in-tree,
  /// solved by Liu's algorithm, or a peak equal to the lower bound). false forces the search
  /// (tests compare it with Liu's algorithm this way).
  bool shortcut = true;
};

/// A minimum-peak order (NP-hard in general: Sethi, SIAM J. Comput. 1975). Dynamic program over
/// downsets: best(S) = min over maximal v of S of max(best(S \ v), resident(S \ v) + bytes(v) +
/// temp_bytes(v)), where resident(S) counts the outputs in S with a consumer outside S, and the
/// sinks (docs/graphs.md). States are explored by size, pruned at the peak of
/// min_peak_heuristic's order, and the search stops at once when that order meets the lower bound.
///
/// Refuses up front with std::invalid_argument giving its estimate when an upper bound on the
/// number of downsets (the product of (length + 1) over a chain cover of the graph) exceeds
/// options.max_states and the graph has more than 64 nodes, and stops with std::invalid_argument
/// when more than options.max_states downsets survive pruning. Time O(states * (n + E)), memory
/// O(states * n / 64) words.
GraphTraversal min_peak_exact(const Graph& graph, const ExactTraversalOptions& options = {});

/// A good order fast, with its gap to peak_lower_bound. On an in-tree (each node has at most one
/// successor, one sink) it is Liu's optimal traversal (Liu 1987) and optimal is set. Otherwise it
/// returns the best of greedy list schedules (among ready nodes, run the one that frees most net
/// memory, ties broken by the smaller peak while it runs, then by depth-first recency) and the
/// graph's topological order; optimal is set only when the peak meets the lower bound.
/// O((n + E) log n); 10^5 nodes take about 0.1 s (docs/benchmarks.md).
GraphTraversal min_peak_heuristic(const Graph& graph);

/// An upper bound on the number of downsets of the graph, saturating at 2^62: the product of
/// (length + 1) over a greedy chain cover. O(n + E).
std::int64_t downset_count_bound(const Graph& graph);

}  // namespace memsched::graph
