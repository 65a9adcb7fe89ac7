// Out-of-core schedules of a graph: running a fixed order in less memory than its peak by
// storing outputs to a slower level and loading them back before their next use, with the
// I/O volume bounded from below.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/graph/graph.hpp"
#include "memsched/graph/simulate.hpp"

namespace memsched::graph {

/// Which resident outputs leave memory first when a step does not fit.
enum class GraphEvictionPolicy {
  /// The output whose next use comes last (Belady, IBM Systems Journal 1966: optimal in
  /// classical paging, a heuristic here); among equal next uses, one already stored first.
  kFurthestNextUse,
  /// The largest output first, then the furthest next use.
  kLargestFirst,
};

/// An out-of-core schedule of a fixed order and what it costs.
struct OutOfCorePlan {
  GraphSchedule schedule;        ///< compute / free / store / load steps; simulate() replays it
  std::vector<NodeIndex> order;  ///< the order of the computes (every node once)
  Bytes io_bytes = 0;            ///< bytes stored plus bytes loaded (simulate() agrees)
  Bytes stored_bytes = 0;        ///< bytes stored (each output at most once)
  Bytes loaded_bytes = 0;        ///< bytes loaded
  std::int64_t num_stores = 0;
  std::int64_t num_loads = 0;
  Bytes peak = 0;        ///< simulate(graph, schedule).peak, at most the bound
  Bytes order_peak = 0;  ///< peak of the order without a slow level (order_peak())
  /// No schedule computing `order` once per node within the bound moves fewer bytes
  /// (io_lower_bound(graph, order, bound)).
  Bytes lower_bound = 0;
};

/// The smallest bound under which some out-of-core schedule exists: the larger of max over v of
/// (input bytes + bytes + temp_bytes) (v's inputs, output and temporary are in memory together)
/// and the sinks' bytes (all resident at the end); equal to peak_lower_bound(). O(n).
Bytes min_out_of_core_memory(const Graph& graph);

/// Runs `order` (a topological order of every node, each computed once) within
/// `memory_bound` bytes using a slow level. Before compute(v): if v's inputs, its output and
/// temporary and the outputs kept in memory exceed the bound, outputs not read by v are evicted
/// by `policy` (stored first unless already on the slow level, then freed; an output with no
/// further use is freed for nothing), then v's inputs that were evicted are loaded; after it,
/// outputs whose last consumer it was are freed. Sinks evicted on the way are loaded at the end.
/// Every step stays within the bound.
///
/// Returns nullopt when no schedule of any kind exists (memory_bound <
/// min_out_of_core_memory(graph)). Throws std::invalid_argument naming the function for a
/// negative bound, an order that is not a topological order of every node, or a graph whose
/// I/O could pass 2^62 bytes (sum over v of input bytes + 2 * bytes).
/// O(n log n + E).
std::optional<OutOfCorePlan> out_of_core_schedule(
    const Graph& graph, const std::vector<NodeIndex>& order, Bytes memory_bound,
    GraphEvictionPolicy policy = GraphEvictionPolicy::kFurthestNextUse);

/// A lower bound on the I/O bytes of every schedule that computes `order` once per node within
/// `memory_bound`. With need_k the memory of step k without a slow level (outputs still needed
/// + bytes + temp_bytes of the k-th node), at step k at least need_k - memory_bound bytes of
/// outputs still needed are out of memory, and each was stored once before and is loaded once
/// after: the bound is twice the larger of max_k (need_k - memory_bound) and the largest sum of
/// (need_k - memory_bound - sinks computed before k) over steps whose non-sink outputs still
/// needed are pairwise disjoint (proof in docs/graphs.md); 0 when no schedule exists.
/// Same errors as out_of_core_schedule. O(n + E).
Bytes io_lower_bound(const Graph& graph, const std::vector<NodeIndex>& order, Bytes memory_bound);

/// A lower bound over every order: 2 * (peak_bound - memory_bound), or 0, where peak_bound is a
/// lower bound on the peak of every order of the graph (min_peak_exact's or
/// min_peak_heuristic's lower_bound). Throws std::invalid_argument for negative arguments.
Bytes io_lower_bound_any_order(Bytes peak_bound, Bytes memory_bound);

/// The least I/O bytes over every schedule that computes `order` once per node within
/// `memory_bound`, by a search over (resident, stored) sets step by step: the oracle for tests.
/// Returns nullopt when no schedule exists. Throws std::invalid_argument for more than
/// kMaxExactOutOfCoreNodes nodes, a negative bound or a bad order. At most 3^n states per step,
/// each with up to 2^n choices.
std::optional<Bytes> out_of_core_exact_io(const Graph& graph, const std::vector<NodeIndex>& order,
                                          Bytes memory_bound);

/// The largest graph out_of_core_exact_io accepts.
inline constexpr NodeIndex kMaxExactOutOfCoreNodes = 10;

}  // namespace memsched::graph
