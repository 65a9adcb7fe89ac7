// Exhaustive oracles for small graphs, written independently of the library's planners: minimum
// peak over every topological order, the fastest rematerialization by value iteration over
// every resident set, and seeded random DAGs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/graph/graph.hpp"

namespace memsched::test {

/// Peak of one order in the node-output model, computed from the definition: before node k the
/// resident outputs are those of earlier nodes with a later consumer, plus earlier sinks.
inline graph::Bytes definition_peak(const graph::Graph& g,
                                    const std::vector<graph::NodeIndex>& order) {
  const auto n = order.size();
  std::vector<std::size_t> pos(n);
  for (std::size_t k = 0; k < n; ++k) pos[static_cast<std::size_t>(order[k])] = k;
  graph::Bytes peak = 0;
  for (std::size_t k = 0; k < n; ++k) {
    graph::Bytes memory = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const graph::NodeIndex u = order[j];
      bool live = g.is_sink(u);
      for (graph::NodeIndex w : g.successors(u))
        live = live || pos[static_cast<std::size_t>(w)] >= k;
      if (live) memory += g.bytes(u);
    }
    const graph::NodeIndex v = order[k];
    peak = std::max(peak, memory + g.bytes(v) + g.temp_bytes(v));
  }
  return peak;
}

/// Calls visit(order) for every topological order (n <= 10 or so).
inline void for_each_order(const graph::Graph& g,
                           const std::function<void(const std::vector<graph::NodeIndex>&)>& visit) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  std::vector<graph::NodeIndex> order;
  std::vector<char> used(n, 0);
  std::function<void()> extend = [&]() {
    if (order.size() == n) {
      visit(order);
      return;
    }
    for (std::size_t v = 0; v < n; ++v) {
      if (used[v]) continue;
      bool ready = true;
      for (graph::NodeIndex u : g.predecessors(static_cast<graph::NodeIndex>(v))) {
        ready = ready && used[static_cast<std::size_t>(u)];
      }
      if (!ready) continue;
      used[v] = 1;
      order.push_back(static_cast<graph::NodeIndex>(v));
      extend();
      order.pop_back();
      used[v] = 0;
    }
  };
  extend();
}

/// Minimum peak over every topological order.
inline graph::Bytes brute_force_min_peak(const graph::Graph& g) {
  graph::Bytes best = std::numeric_limits<graph::Bytes>::max();
  for_each_order(g, [&](const std::vector<graph::NodeIndex>& order) {
    best = std::min(best, definition_peak(g, order));
  });
  return best;
}

/// Histogram peak -> number of orders.
inline std::map<graph::Bytes, int> peak_histogram(const graph::Graph& g) {
  std::map<graph::Bytes, int> histogram;
  for_each_order(g, [&](const std::vector<graph::NodeIndex>& order) {
    ++histogram[definition_peak(g, order)];
  });
  return histogram;
}

/// Least total compute time of a schedule with peak <= budget (recomputation allowed), or -1 if
/// none: Bellman-Ford value iteration over all 2^n resident sets (n <= 14). Transitions:
/// compute(v) (inputs resident, v not, memory + bytes + temp <= budget) and free(v).
inline double brute_force_remat(const graph::Graph& g, graph::Bytes budget) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  if (n > 14) throw std::invalid_argument("brute_force_remat: n > 14");
  const std::size_t states = std::size_t{1} << n;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> cost(states, kInf);
  std::vector<graph::Bytes> memory(states, 0);
  for (std::size_t s = 0; s < states; ++s) {
    for (std::size_t v = 0; v < n; ++v) {
      if ((s >> v) & 1U) memory[s] += g.bytes(static_cast<graph::NodeIndex>(v));
    }
  }
  cost[0] = 0.0;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t s = 0; s < states; ++s) {
      if (cost[s] == kInf) continue;
      for (std::size_t v = 0; v < n; ++v) {
        const auto node = static_cast<graph::NodeIndex>(v);
        std::size_t next = s;
        double c = cost[s];
        if ((s >> v) & 1U) {
          next = s & ~(std::size_t{1} << v);
        } else {
          bool ready = memory[s] + g.bytes(node) + g.temp_bytes(node) <= budget;
          for (graph::NodeIndex u : g.predecessors(node)) {
            ready = ready && ((s >> static_cast<std::size_t>(u)) & 1U);
          }
          if (!ready) continue;
          next = s | (std::size_t{1} << v);
          c += g.time(node);
        }
        if (c < cost[next]) {
          cost[next] = c;
          changed = true;
        }
      }
    }
  }
  double best = kInf;
  std::size_t sinks = 0;
  for (graph::NodeIndex v : g.sinks()) sinks |= std::size_t{1} << static_cast<std::size_t>(v);
  for (std::size_t s = 0; s < states; ++s) {
    if ((s & sinks) == sinks) best = std::min(best, cost[s]);
  }
  return best == kInf ? -1.0 : best;
}

/// Checkmate's gen_linear_graph(n): 2n + 1 unit nodes in a line, forward node i also feeding its
/// backward node 2n - i.
inline graph::Graph linear_graph(int n) {
  const int T = 2 * n + 1;
  std::vector<graph::GraphNode> nodes;
  std::vector<graph::GraphEdge> edges;
  for (int i = 0; i < T; ++i) {
    nodes.push_back({std::to_string(i), 1.0, 1, 0});
    if (i > 0) edges.push_back({i - 1, i});
    if (T - 1 - i > i + 1) edges.push_back({i, T - 1 - i});
  }
  return graph::Graph(std::move(nodes), edges);
}

/// A seeded random DAG: n nodes, each edge i -> j (i < j) present with probability p, sizes in
/// [0, max_bytes], temporaries in [0, max_temp], integer times in [1, max_time]; nodes are
/// shuffled so that index order is not a topological order.
inline graph::Graph random_dag(std::mt19937_64& rng, int n, double p, graph::Bytes max_bytes,
                               graph::Bytes max_temp, int max_time = 1) {
  std::uniform_int_distribution<graph::Bytes> size(0, max_bytes), temp(0, max_temp);
  std::uniform_int_distribution<int> time(1, max_time);
  std::bernoulli_distribution edge(p);
  std::vector<int> label(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) label[static_cast<std::size_t>(i)] = i;
  std::shuffle(label.begin(), label.end(), rng);
  std::vector<graph::GraphNode> nodes(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& node = nodes[static_cast<std::size_t>(label[static_cast<std::size_t>(i)])];
    node.id = "n" + std::to_string(i);
    node.bytes = size(rng);
    node.temp_bytes = temp(rng);
    node.time = time(rng);
  }
  std::vector<graph::GraphEdge> edges;
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (edge(rng)) {
        edges.push_back({label[static_cast<std::size_t>(i)], label[static_cast<std::size_t>(j)]});
      }
    }
  }
  return graph::Graph(std::move(nodes), edges);
}

}  // namespace memsched::test
