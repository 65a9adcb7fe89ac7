// Parallel graph schedules: the event simulator, makespan bounds and the memory-bounded list
// scheduler with its activation gate.
#include "memsched/graph/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

namespace {

std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }

std::string name(const Graph& graph, NodeIndex v) {
  const std::string& id = graph.id(v);
  return "'" + (id.size() > 60 ? id.substr(0, 60) + "..." : id) + "'";
}

void check_processors(std::int64_t processors, const char* caller) {
  if (processors < 1) {
    throw std::invalid_argument(std::string(caller) + ": processors " + std::to_string(processors) +
                                " < 1");
  }
}

// Longest path from v to a sink, v's time included.
std::vector<double> bottom_levels(const Graph& graph) {
  const auto& topo = graph.topological_order();
  std::vector<double> level(topo.size(), 0.0);
  for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
    double below = 0.0;
    for (NodeIndex w : graph.successors(*it)) below = std::max(below, level[at(w)]);
    level[at(*it)] = graph.time(*it) + below;
  }
  return level;
}

}  // namespace

GraphParallelReport simulate_parallel(const Graph& graph, const std::vector<GraphTaskRun>& runs,
                                      std::int64_t processors,
                                      const std::vector<NodeIndex>& start_order) {
  const char* caller = "graph::simulate_parallel";
  check_processors(processors, caller);
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  if (runs.size() != n) {
    throw std::invalid_argument(std::string(caller) + ": " + std::to_string(runs.size()) +
                                " runs for " + std::to_string(n) + " nodes");
  }
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    const GraphTaskRun& r = runs[at(v)];
    if (!std::isfinite(r.start) || r.start < 0) {
      throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                  " has a negative or non-finite start");
    }
    if (r.processor < 0 || r.processor >= processors) {
      throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                  " runs on processor " + std::to_string(r.processor) +
                                  ", outside [0, " + std::to_string(processors) + ")");
    }
  }
  std::vector<NodeIndex> sequence = start_order;
  if (sequence.empty()) {
    sequence = graph.topological_order();
    std::stable_sort(sequence.begin(), sequence.end(), [&](NodeIndex a, NodeIndex b) {
      return runs[at(a)].start < runs[at(b)].start;
    });
  } else {
    std::vector<char> seen(n, 0);
    if (sequence.size() != n) {
      throw std::invalid_argument(std::string(caller) + ": the start order has " +
                                  std::to_string(sequence.size()) + " nodes, the graph " +
                                  std::to_string(n));
    }
    for (std::size_t k = 0; k < n; ++k) {
      const NodeIndex v = sequence[k];
      if (v < 0 || at(v) >= n || seen[at(v)]) {
        throw std::invalid_argument(std::string(caller) +
                                    ": the start order is not a permutation (position " +
                                    std::to_string(k) + ")");
      }
      seen[at(v)] = 1;
      if (k > 0 && runs[at(v)].start < runs[at(sequence[k - 1])].start) {
        throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                    " comes after a later start in the start order");
      }
    }
  }
  // One processor runs one node at a time: check per processor, by start.
  {
    std::vector<NodeIndex> by_processor = sequence;
    std::stable_sort(by_processor.begin(), by_processor.end(), [&](NodeIndex a, NodeIndex b) {
      return runs[at(a)].processor < runs[at(b)].processor;
    });
    for (std::size_t k = 1; k < n; ++k) {
      const NodeIndex a = by_processor[k - 1], b = by_processor[k];
      if (runs[at(a)].processor == runs[at(b)].processor &&
          runs[at(b)].start < runs[at(a)].start + graph.time(a)) {
        throw std::invalid_argument(std::string(caller) + ": nodes " + name(graph, a) + " and " +
                                    name(graph, b) + " overlap on processor " +
                                    std::to_string(runs[at(a)].processor));
      }
    }
  }
  std::vector<std::int64_t> readers(n);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    readers[at(v)] = static_cast<std::int64_t>(graph.successors(v).size());
  }
  std::vector<char> ended(n, 0);
  using End = std::pair<double, NodeIndex>;
  std::priority_queue<End, std::vector<End>, std::greater<End>> running;
  GraphParallelReport report;
  Bytes memory = 0;
  auto finish = [&](NodeIndex v) {
    ended[at(v)] = 1;
    memory -= graph.temp_bytes(v);
    for (NodeIndex u : graph.predecessors(v)) {
      if (--readers[at(u)] == 0) memory -= graph.bytes(u);
    }
  };
  auto sample = [&](double time) {
    if (!report.timeline.empty() && report.timeline.back().time == time) {
      report.timeline.back().memory = memory;
    } else {
      report.timeline.push_back({time, memory});
    }
  };
  for (NodeIndex v : sequence) {
    const double start = runs[at(v)].start;
    while (!running.empty() && running.top().first <= start) {
      const End e = running.top();
      running.pop();
      finish(e.second);
      sample(e.first);
    }
    for (NodeIndex u : graph.predecessors(v)) {
      if (!ended[at(u)]) {
        throw std::invalid_argument(std::string(caller) + ": node " + name(graph, v) +
                                    " starts before its predecessor " + name(graph, u) + " ends");
      }
    }
    memory += graph.bytes(v) + graph.temp_bytes(v);
    report.peak = std::max(report.peak, memory);
    const double end = start + graph.time(v);
    report.makespan = std::max(report.makespan, end);
    running.push({end, v});
    sample(start);
  }
  while (!running.empty()) {
    const End e = running.top();
    running.pop();
    finish(e.second);
    sample(e.first);
  }
  return report;
}

double critical_path(const Graph& graph) {
  const std::vector<double> level = bottom_levels(graph);
  return level.empty() ? 0.0 : *std::max_element(level.begin(), level.end());
}

MakespanBounds makespan_bounds(const Graph& graph, std::int64_t processors, Bytes memory_bound) {
  check_processors(processors, "graph::makespan_bounds");
  if (memory_bound < 0) {
    throw std::invalid_argument("graph::makespan_bounds: negative memory bound " +
                                std::to_string(memory_bound));
  }
  MakespanBounds b;
  b.critical_path = critical_path(graph);
  b.work = graph.total_time() / static_cast<double>(processors);
  if (memory_bound > 0) {
    double area = 0.0;
    for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
      area += static_cast<double>(graph.bytes(v) + graph.temp_bytes(v)) * graph.time(v);
    }
    b.memory_area = area / static_cast<double>(memory_bound);
  }
  b.lower_bound = std::max({b.critical_path, b.work, b.memory_area});
  return b;
}

GraphTraversal default_traversal(const Graph& graph) {
  if (graph.num_nodes() <= 512) {
    ExactTraversalOptions options;
    options.max_states = kDefaultTraversalStates;
    try {
      return min_peak_exact(graph, options);
    } catch (const std::invalid_argument&) {
      // Too many downsets: the heuristic below.
    }
  }
  return min_peak_heuristic(graph);
}

std::vector<NodeIndex> default_activation_order(const Graph& graph) {
  return default_traversal(graph).order;
}

std::optional<GraphParallelSchedule> memory_bounded_parallel(const Graph& graph,
                                                             std::int64_t processors,
                                                             Bytes memory_bound,
                                                             const GraphParallelOptions& options) {
  const char* caller = "graph::memory_bounded_parallel";
  check_processors(processors, caller);
  if (memory_bound < 0) {
    throw std::invalid_argument(std::string(caller) + ": negative memory bound " +
                                std::to_string(memory_bound));
  }
  GraphParallelSchedule out;
  if (options.activation_order.empty()) {
    out.activation_order = default_activation_order(graph);
  } else {
    check_order(graph, options.activation_order, caller);
    out.activation_order = options.activation_order;
  }
  const std::vector<NodeIndex>& sigma = out.activation_order;
  out.activation_peak = order_peak(graph, sigma);
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<std::int64_t> position(n);
  for (std::size_t k = 0; k < n; ++k) position[at(sigma[k])] = static_cast<std::int64_t>(k);
  const std::vector<double> level = bottom_levels(graph);
  // Ready queue: the smallest key first.
  using Ready = std::pair<std::pair<double, std::int64_t>, NodeIndex>;
  auto ready_key = [&](NodeIndex v) -> Ready {
    const double first = options.priority == GraphPriority::kCriticalPath ? -level[at(v)] : 0.0;
    return {{first, position[at(v)]}, v};
  };
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> ready;
  using End = std::pair<double, NodeIndex>;
  std::priority_queue<End, std::vector<End>, std::greater<End>> running;
  std::vector<std::int64_t> unfinished_preds(n), readers(n);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    unfinished_preds[at(v)] = static_cast<std::int64_t>(graph.predecessors(v).size());
    readers[at(v)] = static_cast<std::int64_t>(graph.successors(v).size());
  }
  std::vector<char> activated(n, 0);
  // Idle processors, the smallest number first.
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<std::int64_t>> idle;
  for (std::int64_t q = 0; q < std::min<std::int64_t>(processors, graph.num_nodes()); ++q) {
    idle.push(q);
  }
  out.runs.assign(n, {});
  out.start_order.reserve(n);
  Bytes reserved = 0;  // R of the gate
  std::size_t next = 0;
  std::size_t finished = 0;
  double now = 0.0;
  while (true) {
    // Activation in sigma's order while the reservation fits.
    while (next < n &&
           reserved + graph.bytes(sigma[next]) + graph.temp_bytes(sigma[next]) <= memory_bound) {
      const NodeIndex v = sigma[next++];
      reserved += graph.bytes(v) + graph.temp_bytes(v);
      activated[at(v)] = 1;
      if (unfinished_preds[at(v)] == 0) ready.push(ready_key(v));
    }
    while (!idle.empty() && !ready.empty()) {
      const NodeIndex v = ready.top().second;
      ready.pop();
      out.runs[at(v)] = {now, idle.top()};
      idle.pop();
      out.start_order.push_back(v);
      running.push({now + graph.time(v), v});
    }
    if (running.empty()) break;  // done, or nothing can start: the gate is stuck
    now = running.top().first;
    while (!running.empty() && running.top().first == now) {
      const NodeIndex v = running.top().second;
      running.pop();
      ++finished;
      idle.push(out.runs[at(v)].processor);
      reserved -= graph.temp_bytes(v);
      for (NodeIndex u : graph.predecessors(v)) {
        if (--readers[at(u)] == 0) reserved -= graph.bytes(u);
      }
      for (NodeIndex w : graph.successors(v)) {
        if (--unfinished_preds[at(w)] == 0 && activated[at(w)]) ready.push(ready_key(w));
      }
    }
  }
  if (finished < n) return std::nullopt;
  const GraphParallelReport report =
      simulate_parallel(graph, out.runs, processors, out.start_order);
  out.makespan = report.makespan;
  out.peak = report.peak;
  return out;
}

}  // namespace memsched::graph
