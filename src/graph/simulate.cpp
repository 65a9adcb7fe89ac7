// The graph simulator: replays compute / free / store / load steps in the node-output model.
#include "memsched/graph/simulate.hpp"

#include <cmath>
#include <stdexcept>

#include "memsched/errors.hpp"

namespace memsched::graph {

namespace {

std::string name(const Graph& graph, NodeIndex v) {
  const std::string& id = graph.id(v);
  return "'" + (id.size() > 60 ? id.substr(0, 60) + "..." : id) + "'";
}

}  // namespace

const char* to_string(GraphOpKind kind) noexcept {
  switch (kind) {
    case GraphOpKind::kCompute:
      return "compute";
    case GraphOpKind::kFree:
      return "free";
    case GraphOpKind::kStore:
      return "store";
    case GraphOpKind::kLoad:
      return "load";
  }
  return "?";
}

std::string to_string(const GraphOp& op, const Graph& graph) {
  const std::string node = op.node >= 0 && op.node < graph.num_nodes()
                               ? graph.id(op.node)
                               : "#" + std::to_string(op.node);
  return std::string(to_string(op.kind)) + "(" + node + ")";
}

GraphSimulation simulate(const Graph& graph, const GraphSchedule& schedule,
                         const GraphSimulateOptions& options) {
  if (!std::isfinite(options.store_time_per_byte) || options.store_time_per_byte < 0 ||
      !std::isfinite(options.load_time_per_byte) || options.load_time_per_byte < 0) {
    throw std::invalid_argument("graph::simulate: store and load times must be finite and >= 0");
  }
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<char> resident(n, 0), stored(n, 0), computed(n, 0);
  GraphSimulation out;
  Bytes memory = 0;
  for (std::size_t k = 0; k < schedule.size(); ++k) {
    const GraphOp& op = schedule[k];
    const auto index = static_cast<std::int64_t>(k);
    if (op.node < 0 || static_cast<std::size_t>(op.node) >= n) {
      throw ScheduleError(index, to_string(op, graph), "node index out of range");
    }
    const NodeIndex v = op.node;
    const auto at = static_cast<std::size_t>(v);
    const double start = out.time;
    Bytes during = memory;
    switch (op.kind) {
      case GraphOpKind::kCompute:
        if (resident[at]) {
          throw ScheduleError(index, to_string(op, graph), name(graph, v) + " is already resident");
        }
        for (NodeIndex u : graph.predecessors(v)) {
          if (!resident[static_cast<std::size_t>(u)]) {
            throw ScheduleError(index, to_string(op, graph),
                                "predecessor " + name(graph, u) + " is not resident");
          }
        }
        during = memory + graph.bytes(v) + graph.temp_bytes(v);
        memory += graph.bytes(v);
        resident[at] = 1;
        out.compute_time += graph.time(v);
        out.time += graph.time(v);
        ++out.num_computes;
        if (computed[at]) ++out.num_recomputes;
        computed[at] = 1;
        break;
      case GraphOpKind::kFree:
        if (!resident[at]) {
          throw ScheduleError(index, to_string(op, graph), name(graph, v) + " is not resident");
        }
        memory -= graph.bytes(v);
        resident[at] = 0;
        break;
      case GraphOpKind::kStore:
        if (!resident[at]) {
          throw ScheduleError(index, to_string(op, graph), name(graph, v) + " is not resident");
        }
        if (stored[at]) {
          throw ScheduleError(index, to_string(op, graph),
                              name(graph, v) + " is already on the slow level");
        }
        stored[at] = 1;
        out.io_bytes += graph.bytes(v);
        out.time += options.store_time_per_byte * static_cast<double>(graph.bytes(v));
        break;
      case GraphOpKind::kLoad:
        if (!stored[at]) {
          throw ScheduleError(index, to_string(op, graph),
                              name(graph, v) + " is not on the slow level");
        }
        if (resident[at]) {
          throw ScheduleError(index, to_string(op, graph), name(graph, v) + " is already resident");
        }
        memory += graph.bytes(v);
        during = memory;
        resident[at] = 1;
        out.io_bytes += graph.bytes(v);
        out.time += options.load_time_per_byte * static_cast<double>(graph.bytes(v));
        break;
      default:
        throw ScheduleError(index, to_string(op, graph), "unknown operation");
    }
    if (during > out.peak) out.peak = during;
    if (options.record_timeline) out.timeline.push_back({index, start, during});
  }
  for (NodeIndex s : graph.sinks()) {
    if (!resident[static_cast<std::size_t>(s)]) {
      throw ScheduleError(static_cast<std::int64_t>(schedule.size()), "end",
                          "sink " + name(graph, s) + " is not resident at the end");
    }
  }
  return out;
}

void check_order(const Graph& graph, const std::vector<NodeIndex>& order, const char* caller) {
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  if (order.size() != n) {
    throw std::invalid_argument(std::string(caller) + ": the order has " +
                                std::to_string(order.size()) + " nodes, the graph " +
                                std::to_string(n));
  }
  std::vector<char> done(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    const NodeIndex v = order[k];
    if (v < 0 || static_cast<std::size_t>(v) >= n) {
      throw std::invalid_argument(std::string(caller) + ": position " + std::to_string(k) +
                                  ": node index " + std::to_string(v) + " out of range");
    }
    if (done[static_cast<std::size_t>(v)]) {
      throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                  " appears twice");
    }
    for (NodeIndex u : graph.predecessors(v)) {
      if (!done[static_cast<std::size_t>(u)]) {
        throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                    " comes before its predecessor " + name(graph, u));
      }
    }
    done[static_cast<std::size_t>(v)] = 1;
  }
}

GraphSchedule traversal_schedule(const Graph& graph, const std::vector<NodeIndex>& order) {
  check_order(graph, order, "graph::traversal_schedule");
  std::vector<std::int64_t> remaining(static_cast<std::size_t>(graph.num_nodes()));
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    remaining[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(graph.successors(v).size());
  }
  GraphSchedule schedule;
  schedule.reserve(2 * order.size());
  for (NodeIndex v : order) {
    schedule.push_back(GraphOp::compute(v));
    for (NodeIndex u : graph.predecessors(v)) {
      if (--remaining[static_cast<std::size_t>(u)] == 0) schedule.push_back(GraphOp::free(u));
    }
  }
  return schedule;
}

Bytes order_peak(const Graph& graph, const std::vector<NodeIndex>& order) {
  check_order(graph, order, "graph::order_peak");
  std::vector<std::int64_t> remaining(static_cast<std::size_t>(graph.num_nodes()));
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    remaining[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(graph.successors(v).size());
  }
  Bytes memory = 0, peak = 0;
  for (NodeIndex v : order) {
    const Bytes during = memory + graph.bytes(v) + graph.temp_bytes(v);
    if (during > peak) peak = during;
    memory += graph.bytes(v);
    for (NodeIndex u : graph.predecessors(v)) {
      if (--remaining[static_cast<std::size_t>(u)] == 0) memory -= graph.bytes(u);
    }
  }
  return peak;
}

}  // namespace memsched::graph
