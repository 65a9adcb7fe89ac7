// Minimum-peak orders: dynamic program over downsets (exact) and greedy list schedules.
#include "memsched/graph/traversal.hpp"

#include <algorithm>
#include <array>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>

#include "memsched/graph/simulate.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched::graph {

namespace {

std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }

constexpr NodeIndex kMaxExactNodes = 512;

// ---- greedy list schedules ------------------------------------------------------------------

enum class Rule { kNetFreeing, kDepthFirst, kFreeThenDepthFirst };

// Runs a list schedule: among ready nodes, the smallest key first. Keys change when a ready
// node becomes the last consumer of one of its inputs, so the heap is lazy: an entry is used
// only if it matches the node's current version.
std::vector<NodeIndex> greedy_order(const Graph& graph, Rule rule) {
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<std::int64_t> missing(n), remaining(n);
  std::vector<Bytes> freed(n, 0);  // bytes this node would free if run now
  std::vector<std::int64_t> stamp(n, 0), version(n, 0);
  std::vector<char> done(n, 0), ready(n, 0);
  using Key = std::tuple<int, Bytes, Bytes, std::int64_t, NodeIndex, std::int64_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<>> heap;
  std::int64_t clock = 0;
  auto key_of = [&](NodeIndex v) -> Key {
    const Bytes net = graph.bytes(v) - freed[at(v)];
    const Bytes own = graph.bytes(v) + graph.temp_bytes(v);
    switch (rule) {
      case Rule::kNetFreeing:
        return {0, net, own, -stamp[at(v)], v, version[at(v)]};
      case Rule::kDepthFirst:
        return {0, 0, 0, -stamp[at(v)], v, version[at(v)]};
      case Rule::kFreeThenDepthFirst:
        return {net > 0 ? 1 : 0, 0, 0, -stamp[at(v)], v, version[at(v)]};
    }
    return {};
  };
  for (std::size_t v = 0; v < n; ++v) {
    const auto node = static_cast<NodeIndex>(v);
    missing[v] = static_cast<std::int64_t>(graph.predecessors(node).size());
    remaining[v] = static_cast<std::int64_t>(graph.successors(node).size());
  }
  for (std::size_t v = 0; v < n; ++v) {
    const auto node = static_cast<NodeIndex>(v);
    for (NodeIndex u : graph.predecessors(node)) {
      if (remaining[at(u)] == 1) freed[v] += graph.bytes(u);
    }
  }
  for (std::size_t v = 0; v < n; ++v) {
    if (missing[v] == 0) {
      ready[v] = 1;
      heap.push(key_of(static_cast<NodeIndex>(v)));
    }
  }
  std::vector<NodeIndex> order;
  order.reserve(n);
  while (!heap.empty()) {
    const Key top = heap.top();
    heap.pop();
    const NodeIndex v = std::get<4>(top);
    if (done[at(v)] || std::get<5>(top) != version[at(v)]) continue;
    done[at(v)] = 1;
    order.push_back(v);
    ++clock;
    for (NodeIndex u : graph.predecessors(v)) {
      if (--remaining[at(u)] == 1) {
        // u's last unfinished consumer w now frees u when it runs.
        for (NodeIndex w : graph.successors(u)) {
          if (!done[at(w)]) {
            freed[at(w)] += graph.bytes(u);
            if (ready[at(w)]) {
              ++version[at(w)];
              heap.push(key_of(w));
            }
            break;
          }
        }
      }
    }
    for (NodeIndex w : graph.successors(v)) {
      if (--missing[at(w)] == 0) {
        ready[at(w)] = 1;
        stamp[at(w)] = clock;
        heap.push(key_of(w));
      }
    }
  }
  return order;
}

// An in-tree: every node has at most one successor and there is one sink.
bool is_in_tree(const Graph& graph) {
  if (graph.sinks().size() != 1) return false;
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    if (graph.successors(v).size() > 1) return false;
  }
  return true;
}

// ---- dynamic program over downsets ----------------------------------------------------------

template <std::size_t W>
struct KeyHash {
  std::size_t operator()(const std::array<std::uint64_t, W>& key) const noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::uint64_t word : key) {
      h ^= word + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdULL;
    }
    return static_cast<std::size_t>(h ^ (h >> 33));
  }
};

template <std::size_t W>
GraphTraversal exact_dp(const Graph& graph, const ExactTraversalOptions& options,
                        const GraphTraversal& incumbent, Bytes lower_bound) {
  using Key = std::array<std::uint64_t, W>;
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  auto has = [](const Key& key, NodeIndex v) { return (key[at(v) / 64] >> (at(v) % 64)) & 1U; };
  struct State {
    Key key;
    Bytes best;
    Bytes resident;
    std::int64_t parent;
    NodeIndex added;
  };
  std::vector<State> states;
  states.push_back({Key{}, 0, 0, -1, -1});
  std::size_t level_begin = 0, level_end = 1;
  std::unordered_map<Key, std::int64_t, KeyHash<W>> next_index;
  std::vector<std::int64_t> preds_in(n);
  // Only strictly better orders than the incumbent are kept, or equal ones if forced to search.
  const Bytes limit = options.shortcut ? incumbent.peak : incumbent.peak + 1;
  for (std::size_t level = 0; level < n; ++level) {
    next_index.clear();
    for (std::size_t s = level_begin; s < level_end; ++s) {
      const State state = states[s];
      for (std::size_t v = 0; v < n; ++v) {
        const auto node = static_cast<NodeIndex>(v);
        if (has(state.key, node)) continue;
        bool is_ready = true;
        for (NodeIndex u : graph.predecessors(node)) {
          if (!has(state.key, u)) {
            is_ready = false;
            break;
          }
        }
        if (!is_ready) continue;
        const Bytes during = state.resident + graph.bytes(node) + graph.temp_bytes(node);
        const Bytes value = std::max(state.best, during);
        if (value >= limit) continue;
        Key key = state.key;
        key[v / 64] |= std::uint64_t{1} << (v % 64);
        Bytes resident = state.resident + graph.bytes(node);
        for (NodeIndex u : graph.predecessors(node)) {
          bool all_done = true;
          for (NodeIndex w : graph.successors(u)) {
            if (!has(key, w)) {
              all_done = false;
              break;
            }
          }
          if (all_done) resident -= graph.bytes(u);
        }
        const auto [it, inserted] =
            next_index.emplace(key, static_cast<std::int64_t>(states.size()));
        if (inserted) {
          if (static_cast<std::int64_t>(states.size()) >= options.max_states) {
            throw std::invalid_argument(
                "graph::min_peak_exact: more than " + std::to_string(options.max_states) +
                " downsets survive pruning (at most " + std::to_string(downset_count_bound(graph)) +
                " by the chain-cover bound); use min_peak_heuristic or raise max_states");
          }
          states.push_back({key, value, resident, static_cast<std::int64_t>(s), node});
        } else if (value < states[static_cast<std::size_t>(it->second)].best) {
          State& other = states[static_cast<std::size_t>(it->second)];
          other.best = value;
          other.parent = static_cast<std::int64_t>(s);
          other.added = node;
        }
      }
    }
    level_begin = level_end;
    level_end = states.size();
    if (level_begin == level_end) break;
  }
  GraphTraversal out;
  out.lower_bound = lower_bound;
  out.optimal = true;
  if (level_begin == level_end) {  // nothing beats the incumbent: it is optimal
    out.order = incumbent.order;
    out.peak = incumbent.peak;
  } else {
    std::size_t best = level_begin;
    for (std::size_t s = level_begin; s < level_end; ++s) {
      if (states[s].best < states[best].best) best = s;
    }
    out.peak = states[best].best;
    for (std::int64_t s = static_cast<std::int64_t>(best);
         states[static_cast<std::size_t>(s)].parent >= 0;
         s = states[static_cast<std::size_t>(s)].parent) {
      out.order.push_back(states[static_cast<std::size_t>(s)].added);
    }
    std::reverse(out.order.begin(), out.order.end());
  }
  out.lower_bound = out.peak;
  return out;
}

}  // namespace

Bytes peak_lower_bound(const Graph& graph) {
  Bytes bound = graph.sink_bytes();
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    bound = std::max(bound, graph.own_requirement(v));
  }
  return bound;
}

std::int64_t downset_count_bound(const Graph& graph) {
  // Greedy chain cover along edges: each node extends the chain of a predecessor that still
  // ends there, else starts a chain. A downset meets each chain in a prefix.
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<char> extended(n, 0);
  std::vector<std::int64_t> length(n, 0);  // chain length, kept at the chain's current end
  std::vector<std::int64_t> lengths;
  for (NodeIndex v : graph.topological_order()) {
    std::int64_t len = 1;
    for (NodeIndex u : graph.predecessors(v)) {
      if (!extended[at(u)]) {
        extended[at(u)] = 1;
        len = length[at(u)] + 1;
        break;
      }
    }
    length[at(v)] = len;
  }
  for (std::size_t v = 0; v < n; ++v) {
    if (!extended[v]) lengths.push_back(length[v]);
  }
  constexpr std::int64_t kCap = std::int64_t{1} << 62;
  std::int64_t product = 1;
  for (std::int64_t len : lengths) {
    if (product > kCap / (len + 1)) return kCap;
    product *= len + 1;
  }
  return product;
}

GraphTraversal min_peak_heuristic(const Graph& graph) {
  GraphTraversal out;
  out.lower_bound = peak_lower_bound(graph);
  if (is_in_tree(graph)) {
    std::vector<TreeNode> nodes(static_cast<std::size_t>(graph.num_nodes()));
    for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
      TreeNode& node = nodes[at(v)];
      node.parent = graph.is_sink(v) ? -1 : *graph.successors(v).begin();
      node.output_size = graph.bytes(v);
      node.exec_memory = graph.temp_bytes(v);
      node.work = graph.time(v);
    }
    const Traversal t = liu_optimal_traversal(Tree(std::move(nodes)));
    out.order.assign(t.order.begin(), t.order.end());
    out.peak = t.peak;
    out.lower_bound = t.peak;
    out.optimal = true;
    return out;
  }
  out.order = graph.topological_order();
  out.peak = order_peak(graph, out.order);
  for (Rule rule : {Rule::kNetFreeing, Rule::kDepthFirst, Rule::kFreeThenDepthFirst}) {
    if (out.peak == out.lower_bound) break;
    std::vector<NodeIndex> order = greedy_order(graph, rule);
    const Bytes peak = order_peak(graph, order);
    if (peak < out.peak) {
      out.peak = peak;
      out.order = std::move(order);
    }
  }
  out.optimal = out.peak == out.lower_bound;
  return out;
}

GraphTraversal min_peak_exact(const Graph& graph, const ExactTraversalOptions& options) {
  if (options.max_states < 1) {
    throw std::invalid_argument("graph::min_peak_exact: max_states must be >= 1");
  }
  if (graph.num_nodes() > kMaxExactNodes) {
    throw std::invalid_argument("graph::min_peak_exact: " + std::to_string(graph.num_nodes()) +
                                " nodes, more than the 512 the exact search handles (up to " +
                                std::to_string(downset_count_bound(graph)) +
                                " downsets by the chain-cover bound); use min_peak_heuristic");
  }
  GraphTraversal incumbent = min_peak_heuristic(graph);
  if (incumbent.optimal && options.shortcut) return incumbent;
  const Bytes lower_bound = incumbent.lower_bound;
  const std::size_t words = (static_cast<std::size_t>(graph.num_nodes()) + 63) / 64;
  if (words <= 1) return exact_dp<1>(graph, options, incumbent, lower_bound);
  if (words <= 2) return exact_dp<2>(graph, options, incumbent, lower_bound);
  if (words <= 4) return exact_dp<4>(graph, options, incumbent, lower_bound);
  return exact_dp<8>(graph, options, incumbent, lower_bound);
}

}  // namespace memsched::graph
