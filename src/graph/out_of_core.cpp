// Out-of-core schedules of a fixed graph order: eviction by next use, the I/O lower bound and an
// exhaustive oracle over resident and stored sets.
#include "memsched/graph/out_of_core.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

namespace {

std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }

void check_bound(Bytes memory_bound, const char* caller) {
  if (memory_bound < 0) {
    throw std::invalid_argument(std::string(caller) + ": negative memory bound " +
                                std::to_string(memory_bound));
  }
}

// For every node, the positions in `order` of its uses, increasing: its consumers, and n (the
// end of the schedule) for a sink.
std::vector<std::vector<std::int64_t>> use_positions(const Graph& graph,
                                                     const std::vector<NodeIndex>& order) {
  const auto n = order.size();
  std::vector<std::int64_t> position(n);
  for (std::size_t k = 0; k < n; ++k) position[at(order[k])] = static_cast<std::int64_t>(k);
  std::vector<std::vector<std::int64_t>> uses(n);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    for (NodeIndex w : graph.successors(v)) uses[at(v)].push_back(position[at(w)]);
    std::sort(uses[at(v)].begin(), uses[at(v)].end());
    if (graph.is_sink(v)) uses[at(v)].push_back(static_cast<std::int64_t>(n));
  }
  return uses;
}

}  // namespace

Bytes min_out_of_core_memory(const Graph& graph) { return peak_lower_bound(graph); }

std::optional<OutOfCorePlan> out_of_core_schedule(const Graph& graph,
                                                  const std::vector<NodeIndex>& order,
                                                  Bytes memory_bound, GraphEvictionPolicy policy) {
  check_bound(memory_bound, "graph::out_of_core_schedule");
  check_order(graph, order, "graph::out_of_core_schedule");
  if (memory_bound < min_out_of_core_memory(graph)) return std::nullopt;
  // Each output is stored at most once, each step loads at most its inputs and the end at most
  // the sinks: refuse a graph whose I/O could pass 2^62 bytes before counting it.
  double io_cap = 0.0;
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    io_cap += static_cast<double>(graph.input_bytes(v)) + 2.0 * static_cast<double>(graph.bytes(v));
  }
  if (io_cap > static_cast<double>(kMaxTotalBytes)) {
    throw std::invalid_argument("graph::out_of_core_schedule: the I/O could reach about " +
                                std::to_string(io_cap) + " bytes, more than 2^62");
  }
  const auto n = order.size();
  const auto uses = use_positions(graph, order);
  std::vector<std::size_t> next(n, 0);  // index into uses[v] of v's next use
  std::vector<char> resident(n, 0), stored(n, 0);
  // Candidates for eviction: resident outputs of positive size not read by the current step,
  // ordered so that the last element leaves first.
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, NodeIndex>;
  auto key = [&](NodeIndex u) -> Key {
    const std::int64_t use = uses[at(u)][next[at(u)]];
    const std::int64_t clean = stored[at(u)];
    if (policy == GraphEvictionPolicy::kLargestFirst) return {graph.bytes(u), use, clean, u};
    return {use, clean, graph.bytes(u), u};
  };
  std::set<Key> candidates;
  OutOfCorePlan plan;
  plan.order = order;
  plan.schedule.reserve(3 * n);
  Bytes memory = 0;  // outputs in memory
  auto evict = [&](NodeIndex u) {
    if (!stored[at(u)]) {
      plan.schedule.push_back(GraphOp::store(u));
      stored[at(u)] = 1;
      plan.stored_bytes += graph.bytes(u);
      ++plan.num_stores;
    }
    plan.schedule.push_back(GraphOp::free(u));
    resident[at(u)] = 0;
    memory -= graph.bytes(u);
  };
  for (std::size_t k = 0; k < n; ++k) {
    const NodeIndex v = order[k];
    Bytes to_load = 0;
    for (NodeIndex u : graph.predecessors(v)) {
      if (resident[at(u)]) {
        candidates.erase(key(u));
      } else {
        to_load += graph.bytes(u);
      }
    }
    // Make room: memory_bound >= own_requirement(v) guarantees that evicting every candidate
    // suffices, since then only v's inputs remain.
    Bytes missing = memory + to_load + graph.bytes(v) + graph.temp_bytes(v) - memory_bound;
    while (missing > 0) {
      const auto last = std::prev(candidates.end());
      const NodeIndex u = std::get<3>(*last);
      candidates.erase(last);
      missing -= graph.bytes(u);
      evict(u);
    }
    for (NodeIndex u : graph.predecessors(v)) {
      if (!resident[at(u)]) {
        plan.schedule.push_back(GraphOp::load(u));
        resident[at(u)] = 1;
        memory += graph.bytes(u);
        plan.loaded_bytes += graph.bytes(u);
        ++plan.num_loads;
      }
    }
    plan.schedule.push_back(GraphOp::compute(v));
    resident[at(v)] = 1;
    memory += graph.bytes(v);
    if (graph.bytes(v) > 0) candidates.insert(key(v));
    for (NodeIndex u : graph.predecessors(v)) {
      ++next[at(u)];
      if (next[at(u)] == uses[at(u)].size()) {  // last consumer done, not a sink
        plan.schedule.push_back(GraphOp::free(u));
        resident[at(u)] = 0;
        memory -= graph.bytes(u);
      } else if (graph.bytes(u) > 0) {
        candidates.insert(key(u));
      }
    }
  }
  for (NodeIndex s : graph.sinks()) {
    if (!resident[at(s)]) {
      plan.schedule.push_back(GraphOp::load(s));
      resident[at(s)] = 1;
      plan.loaded_bytes += graph.bytes(s);
      ++plan.num_loads;
    }
  }
  plan.io_bytes = plan.stored_bytes + plan.loaded_bytes;
  plan.peak = simulate(graph, plan.schedule).peak;
  plan.order_peak = order_peak(graph, order);
  plan.lower_bound = io_lower_bound(graph, order, memory_bound);
  return plan;
}

Bytes io_lower_bound(const Graph& graph, const std::vector<NodeIndex>& order, Bytes memory_bound) {
  check_bound(memory_bound, "graph::io_lower_bound");
  check_order(graph, order, "graph::io_lower_bound");
  if (memory_bound < min_out_of_core_memory(graph)) return 0;
  // The proof is in docs/graphs.md. For each step k: need_k (the memory of the step without a
  // slow level), the sinks computed before it, and reach_k, the last use of the non-sink
  // outputs computed before it.
  const auto n = order.size();
  std::vector<std::int64_t> position(n), last_use(n, -1);
  for (std::size_t k = 0; k < n; ++k) position[at(order[k])] = static_cast<std::int64_t>(k);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    for (NodeIndex w : graph.successors(v)) {
      last_use[at(v)] = std::max(last_use[at(v)], position[at(w)]);
    }
  }
  std::vector<Bytes> excess(n);  // need_k - bound - sinks before k, or 0
  std::vector<std::int64_t> reach(n);
  std::vector<std::int64_t> readers(n);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    readers[at(v)] = static_cast<std::int64_t>(graph.successors(v).size());
  }
  Bytes memory = 0, sinks = 0, single = 0;
  std::int64_t farthest = -1;
  for (std::size_t k = 0; k < n; ++k) {
    const NodeIndex v = order[k];
    const Bytes need = memory + graph.bytes(v) + graph.temp_bytes(v);
    single = std::max(single, need - memory_bound);
    excess[k] = std::max<Bytes>(0, need - memory_bound - sinks);
    reach[k] = farthest;
    memory += graph.bytes(v);
    if (graph.is_sink(v)) {
      sinks += graph.bytes(v);
    } else {
      farthest = std::max(farthest, last_use[at(v)]);
    }
    for (NodeIndex u : graph.predecessors(v)) {
      if (--readers[at(u)] == 0) memory -= graph.bytes(u);
    }
  }
  // Steps whose non-sink outputs still needed are pairwise disjoint: after step k, the next one
  // comes after reach_k. best[k]: the largest sum of excesses over such steps from k on.
  std::vector<Bytes> best(n + 1, 0);
  for (std::size_t k = n; k-- > 0;) {
    const auto next = static_cast<std::size_t>(
        std::max<std::int64_t>(static_cast<std::int64_t>(k) + 1, reach[k] + 1));
    const Bytes after = best[std::min(next, n)];  // <= kMaxTotalBytes
    const Bytes take = excess[k] > kMaxTotalBytes - after ? kMaxTotalBytes : excess[k] + after;
    best[k] = std::max(best[k + 1], take);
  }
  // Sums of excesses may pass 2^62 on extreme inputs: a smaller value is still a lower bound.
  return 2 * std::min(std::max(single, best[0]), kMaxTotalBytes / 2);
}

Bytes io_lower_bound_any_order(Bytes peak_bound, Bytes memory_bound) {
  if (peak_bound < 0 || memory_bound < 0) {
    throw std::invalid_argument("graph::io_lower_bound_any_order: negative peak bound " +
                                std::to_string(peak_bound) + " or memory bound " +
                                std::to_string(memory_bound));
  }
  return peak_bound > memory_bound ? 2 * std::min(peak_bound - memory_bound, kMaxTotalBytes / 2)
                                   : 0;
}

std::optional<Bytes> out_of_core_exact_io(const Graph& graph, const std::vector<NodeIndex>& order,
                                          Bytes memory_bound) {
  check_bound(memory_bound, "graph::out_of_core_exact_io");
  if (graph.num_nodes() > kMaxExactOutOfCoreNodes) {
    throw std::invalid_argument(
        "graph::out_of_core_exact_io: " + std::to_string(graph.num_nodes()) + " nodes, more than " +
        std::to_string(kMaxExactOutOfCoreNodes) + " (3^n * 2^n work)");
  }
  check_order(graph, order, "graph::out_of_core_exact_io");
  if (memory_bound < min_out_of_core_memory(graph)) return std::nullopt;
  const auto n = order.size();
  const auto uses = use_positions(graph, order);
  using Mask = std::uint32_t;
  auto bytes_of = [&](Mask mask) {
    Bytes total = 0;
    for (std::size_t u = 0; u < n; ++u) {
      if ((mask >> u) & 1U) total += graph.bytes(static_cast<NodeIndex>(u));
    }
    return total;
  };
  // State between computes: (resident, stored) over the outputs still needed; every needed
  // output is in one of the two. Value: least I/O bytes so far.
  std::map<std::pair<Mask, Mask>, Bytes> layer{{{0, 0}, 0}};
  Mask live = 0;
  for (std::size_t k = 0; k <= n; ++k) {
    Mask inputs = 0;
    Bytes extra = 0;  // bytes + temp_bytes of the step; at the end, nothing runs
    if (k < n) {
      for (NodeIndex u : graph.predecessors(order[k])) inputs |= Mask{1} << at(u);
      extra = graph.bytes(order[k]) + graph.temp_bytes(order[k]);
    } else {
      for (NodeIndex s : graph.sinks()) inputs |= Mask{1} << at(s);
    }
    // Outputs that die after this step: non-sinks whose last use is k.
    Mask dying = 0;
    for (std::size_t u = 0; u < n; ++u) {
      if (((live >> u) & 1U) && uses[u].back() == static_cast<std::int64_t>(k)) {
        dying |= Mask{1} << u;
      }
    }
    std::map<std::pair<Mask, Mask>, Bytes> following;
    const Mask optional = live & ~inputs;
    for (const auto& [state, cost] : layer) {
      const auto [resident, stored] = state;
      // Choose the resident set R' = inputs + any subset of the other needed outputs.
      for (Mask sub = optional;; sub = (sub - 1) & optional) {
        const Mask kept = inputs | sub;
        if (bytes_of(kept) + extra <= memory_bound) {
          const Mask evicted = resident & ~kept;
          const Bytes step = bytes_of(kept & ~resident) + bytes_of(evicted & ~stored);
          Mask next_resident = kept, next_stored = stored | evicted;
          if (k < n) next_resident |= Mask{1} << at(order[k]);
          next_resident &= ~dying;
          next_stored &= ~dying;
          auto [it, fresh] = following.try_emplace({next_resident, next_stored}, cost + step);
          if (!fresh && cost + step < it->second) it->second = cost + step;
        }
        if (sub == 0) break;
      }
    }
    layer = std::move(following);
    if (k < n) live = (live | Mask{1} << at(order[k])) & ~dying;
  }
  Bytes best = std::numeric_limits<Bytes>::max();
  for (const auto& entry : layer) best = std::min(best, entry.second);
  if (layer.empty()) return std::nullopt;
  return best;
}

}  // namespace memsched::graph
