// Graph schedules (compute / free / store / load) and their simulator, the single source of
// truth for what a graph schedule costs and whether it is legal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/graph/graph.hpp"

namespace memsched::graph {

/// What one step of a graph schedule does.
enum class GraphOpKind {
  kCompute,  ///< run the node: its predecessors must be resident, it must not be
  kFree,     ///< drop its resident output
  kStore,    ///< copy its resident output to the slow level (it stays resident)
  kLoad,     ///< bring its output back from the slow level (it must have been stored)
};

/// One step of a graph schedule.
struct GraphOp {
  GraphOpKind kind = GraphOpKind::kCompute;
  NodeIndex node = 0;

  static GraphOp compute(NodeIndex v) noexcept { return {GraphOpKind::kCompute, v}; }
  static GraphOp free(NodeIndex v) noexcept { return {GraphOpKind::kFree, v}; }
  static GraphOp store(NodeIndex v) noexcept { return {GraphOpKind::kStore, v}; }
  static GraphOp load(NodeIndex v) noexcept { return {GraphOpKind::kLoad, v}; }

  friend bool operator==(const GraphOp& a, const GraphOp& b) noexcept {
    return a.kind == b.kind && a.node == b.node;
  }
};

using GraphSchedule = std::vector<GraphOp>;

/// "compute", "free", "store", "load".
const char* to_string(GraphOpKind kind) noexcept;
/// "compute(a)" with the node's id.
std::string to_string(const GraphOp& op, const Graph& graph);

/// Costs of the slow level and what to record.
struct GraphSimulateOptions {
  double store_time_per_byte = 0.0;  ///< time of a store, per byte written
  double load_time_per_byte = 0.0;   ///< time of a load, per byte read
  bool record_timeline = false;      ///< fill GraphSimulation::timeline
};

/// The memory in use during one step of a schedule.
struct GraphTimelinePoint {
  std::int64_t step = 0;  ///< index in the schedule
  double start = 0.0;     ///< time at which the step starts
  Bytes memory = 0;       ///< memory in use during the step (for a compute: with its output
                          ///< and temporary)
};

/// What a legal schedule costs.
struct GraphSimulation {
  double time = 0.0;          ///< compute_time + time of stores and loads
  double compute_time = 0.0;  ///< sum of the times of all computes
  Bytes peak = 0;             ///< largest memory in use during any step
  Bytes io_bytes = 0;         ///< bytes stored plus bytes loaded
  std::int64_t num_computes = 0;
  std::int64_t num_recomputes = 0;           ///< computes of a node already computed before
  std::vector<GraphTimelinePoint> timeline;  ///< one point per step, if requested
};

/// Replays `schedule` on `graph` in the node-output model and reports its cost. Rules: compute(v)
/// needs every predecessor resident and v not resident, and uses resident + bytes(v) +
/// temp_bytes(v) while it runs; free(v) needs v resident; store(v) needs v resident and not yet
/// on the slow level (the copy stays until the end); load(v) needs v on the slow level and not
/// resident, and uses resident + bytes(v). At the end every sink must be resident.
///
/// Throws ScheduleError (memsched/errors.hpp) with the index of the first illegal step (the
/// schedule's length for a fault at the end) and the reason; std::invalid_argument on negative or
/// non-finite costs. O(steps + sum of in-degrees of the computed nodes).
GraphSimulation simulate(const Graph& graph, const GraphSchedule& schedule,
                         const GraphSimulateOptions& options = {});

/// The schedule that runs `order` (every node once, a topological order) and frees each output
/// right after its last consumer; sinks are never freed. Throws std::invalid_argument unless
/// `order` is a topological order of every node. O(n + E).
GraphSchedule traversal_schedule(const Graph& graph, const std::vector<NodeIndex>& order);

/// Peak memory of running `order` with each output freed after its last consumer (the peak of
/// traversal_schedule(order)), in O(n + E). Same errors as traversal_schedule.
Bytes order_peak(const Graph& graph, const std::vector<NodeIndex>& order);

/// Throws std::invalid_argument naming `caller` unless `order` holds every node once, each after
/// its predecessors.
void check_order(const Graph& graph, const std::vector<NodeIndex>& order, const char* caller);

}  // namespace memsched::graph
