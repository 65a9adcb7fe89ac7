// Parallel schedules of a graph on p processors sharing one memory: an event simulator, lower
// bounds on the makespan, and a list scheduler that never exceeds a memory bound.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

/// When and where one node runs; it ends at start + time(v).
struct GraphTaskRun {
  double start = 0.0;  ///< >= 0, finite
  std::int64_t processor = 0;
};

/// Memory in use from `time` until the next sample.
struct GraphMemorySample {
  double time = 0.0;
  Bytes memory = 0;
};

/// What simulate_parallel measured.
struct GraphParallelReport {
  double makespan = 0.0;                    ///< largest end time (0 for an empty run)
  Bytes peak = 0;                           ///< largest memory right after a start
  std::vector<GraphMemorySample> timeline;  ///< after the events of each distinct time
};

/// Checks and measures a parallel schedule in the node-output model shared by p processors:
/// when v starts, memory grows by bytes(v) + temp_bytes(v); when it ends, temp_bytes(v) is
/// released, and so is the output of each predecessor whose consumers have all ended (sinks
/// stay to the end). Events are processed in `start_order` (default: by start time, ties by the
/// graph's topological order): before each start, every started node with end <= that start
/// ends (so a node of time 0 ends right after its own start). v may start only after all its
/// predecessors have ended.
///
/// Throws std::invalid_argument naming the node for: runs.size() != n, processors < 1, a start
/// negative or not finite, a processor out of [0, processors), start_order not a permutation of
/// the nodes or not sorted by start, a node starting before a predecessor ends, or two runs
/// overlapping on one processor. O(n log n + E).
GraphParallelReport simulate_parallel(const Graph& graph, const std::vector<GraphTaskRun>& runs,
                                      std::int64_t processors,
                                      const std::vector<NodeIndex>& start_order = {});

/// The largest sum of times along a path of the graph. O(n + E).
double critical_path(const Graph& graph);

/// Lower bounds on the makespan of every schedule on `processors` processors that keeps
/// memory within `memory_bound`.
struct MakespanBounds {
  double critical_path = 0.0;  ///< longest path: its nodes run one after another
  double work = 0.0;           ///< total time / processors
  /// sum over v of (bytes + temp_bytes) * time / memory_bound: while v runs, its output and
  /// temporary (disjoint from every other running node's) are in memory, so the integral of
  /// memory over the run, at most memory_bound * makespan, is at least that sum (0 if the
  /// bound is 0).
  double memory_area = 0.0;
  double lower_bound = 0.0;  ///< the largest of the three
};

/// The three bounds. Throws std::invalid_argument for processors < 1 or a negative bound.
/// O(n + E).
MakespanBounds makespan_bounds(const Graph& graph, std::int64_t processors, Bytes memory_bound);

/// Which activated, ready node an idle processor starts first.
enum class GraphPriority {
  kActivationOrder,  ///< the activation order itself
  kCriticalPath,     ///< the largest bottom level (time of the longest path to a sink) first
};

/// Options of memory_bounded_parallel.
struct GraphParallelOptions {
  /// Sequential order in which nodes are activated (a topological order of every node); empty:
  /// default_activation_order(graph).
  std::vector<NodeIndex> activation_order;
  GraphPriority priority = GraphPriority::kCriticalPath;
};

/// A parallel schedule and what it is based on.
struct GraphParallelSchedule {
  std::vector<GraphTaskRun> runs;           ///< runs[v], for every node
  std::vector<NodeIndex> start_order;       ///< nodes in the order they started
  std::vector<NodeIndex> activation_order;  ///< the order sigma of the gate
  Bytes activation_peak = 0;                ///< order_peak(graph, sigma)
  double makespan = 0.0;                    ///< simulate_parallel's
  Bytes peak = 0;                           ///< simulate_parallel's, at most the bound
};

/// List scheduling on `processors` processors under a shared memory bound with an activation
/// gate that extends to graphs the one of memsched's memory-bounded tree scheduler (a
/// conservative relative of MemBooking, Aupy, Brasseur, Marchal, IPDPS 2017). Nodes are
/// activated in sigma's order while the reservation R (outputs resident + bytes + temp_bytes of
/// the activated, unfinished nodes) plus the next node's bytes + temp_bytes fits in the bound;
/// only activated nodes whose predecessors have ended start, by `priority`, on idle processors;
/// when v ends, R drops by temp_bytes(v) and by the outputs v was the last to read.
///
/// Guarantees (proof in docs/graphs.md): memory never exceeds `memory_bound` (actual memory <=
/// R <= bound), and the schedule completes whenever memory_bound >= order_peak(graph, sigma):
/// if nothing runs, R is the sequential resident memory before sigma's first unfinished node,
/// which therefore fits. With p = 1 and kActivationOrder it runs sigma, with sigma's peak.
/// Returns nullopt when the nodes cannot all complete (possible only for smaller bounds).
///
/// Throws std::invalid_argument for processors < 1, a negative bound, or an activation order
/// that is not a topological order of every node; min_peak_exact's refusal does not arise (it is
/// used only when its state bound allows). O((n + E) log n).
std::optional<GraphParallelSchedule> memory_bounded_parallel(
    const Graph& graph, std::int64_t processors, Bytes memory_bound,
    const GraphParallelOptions& options = {});

/// The largest number of downsets default_traversal lets the exact traversal store.
inline constexpr std::int64_t kDefaultTraversalStates = 200'000;

/// The reference order of the out-of-core and parallel planners: min_peak_exact's when it
/// finishes within kDefaultTraversalStates downsets (at most 512 nodes), else
/// min_peak_heuristic's, with its gap.
GraphTraversal default_traversal(const Graph& graph);

/// default_traversal(graph).order: the activation order memory_bounded_parallel uses by default.
std::vector<NodeIndex> default_activation_order(const Graph& graph);

}  // namespace memsched::graph
