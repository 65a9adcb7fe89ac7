// Minimum-peak orders of series-parallel graphs: recognition (the decomposition tree) and the
// polynomial algorithm of Kayaaslan, Lambert, Marchal and Uçar (TCS 2018), adapted to the
// node-output model with a certificate of optimality.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

/// One node of a series-parallel decomposition tree.
struct SpNode {
  enum class Kind { kEdge, kSeries, kParallel };
  Kind kind = Kind::kEdge;
  std::int32_t source = 0;  ///< terminal vertex where the component starts
  std::int32_t target = 0;  ///< terminal vertex where it ends
  /// kSeries: the components in order (child i ends where child i + 1 starts); kParallel: the
  /// components between source and target; kEdge: empty.
  std::vector<std::int32_t> children;
};

/// The decomposition tree of a two-terminal series-parallel graph. Vertices are those of the
/// graph with a virtual source (index num_nodes()) joined to every source of the graph and a
/// virtual target (num_nodes() + 1) joined from every sink; the edges are those of the graph
/// and the virtual ones. Series nodes are never children of series nodes, parallel never of
/// parallel.
struct SpDecomposition {
  std::vector<SpNode> nodes;
  std::int32_t root = 0;
  std::int32_t virtual_source = 0;
  std::int32_t virtual_target = 0;
};

/// The decomposition tree if the graph, with the virtual source and target, is two-terminal
/// series-parallel (built from single edges by series and parallel composition), else nullopt.
/// Series and parallel reductions (Valdes, Tarjan & Lawler, SIAM J. Comput. 1982): the graph
/// is series-parallel iff they reduce it to one edge. O((n + E) log(n + E)).
std::optional<SpDecomposition> series_parallel_decomposition(const Graph& graph);

/// true if series_parallel_decomposition succeeds.
bool is_series_parallel(const Graph& graph);

/// A minimum-peak order of a series-parallel graph. The algorithm of Kayaaslan, Lambert,
/// Marchal & Uçar ("Scheduling series-parallel task graphs to minimize peak memory", Theor.
/// Comput. Sci. 707, 2018) is exact in the edge model, where every edge carries its own datum.
/// In the node-output model one output is shared by all consumers; each round designates one
/// consumer per output to carry its bytes (every node is split into in -> out so that its
/// temporary and output appear while it runs), solves that edge model exactly, and re-designates
/// each output to its last consumer in the order found. Every designation's edge optimum is a
/// lower bound on the node-model minimum (no order is charged more in it), and when the
/// designated consumers are the last ones the two peaks coincide: then `optimal` is set and
/// `lower_bound` equals `peak` (docs/graphs.md has the argument). Otherwise the best order of
/// the rounds is returned with the largest edge optimum as lower bound. Throws
/// std::invalid_argument naming the function if the graph is not series-parallel.
/// O(rounds * (n + E) log(n + E) + n * depth of the decomposition tree), at most 8 rounds (it
/// stops early when a round improves neither the order nor the bound).
GraphTraversal min_peak_series_parallel(const Graph& graph);

}  // namespace memsched::graph
