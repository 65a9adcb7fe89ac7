// Rematerialization under a byte budget: exact A* over resident sets, a bottleneck search for
// the smallest feasible budget, a furthest-next-use greedy, and memory-time curves.
#include "memsched/graph/remat.hpp"

#include <algorithm>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>

#include "memsched/graph/traversal.hpp"

namespace memsched::graph {

namespace {

std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }
using Mask = std::uint64_t;
Mask bit(NodeIndex v) { return Mask{1} << at(v); }

void check_exact(const Graph& graph, const ExactRematOptions& options, const char* caller) {
  if (options.max_states < 1) {
    throw std::invalid_argument(std::string(caller) + ": max_states must be >= 1");
  }
  if (graph.num_nodes() > kMaxExactRematNodes) {
    throw std::invalid_argument(
        std::string(caller) + ": " + std::to_string(graph.num_nodes()) + " nodes, more than the " +
        std::to_string(kMaxExactRematNodes) + " the exact search handles (up to 2^" +
        std::to_string(graph.num_nodes()) + " resident sets); use remat_greedy");
  }
}

// What the searches over resident sets share: predecessor masks and sizes.
struct Space {
  explicit Space(const Graph& g) : graph(g) {
    const auto n = static_cast<std::size_t>(g.num_nodes());
    preds.assign(n, 0);
    for (NodeIndex v = 0; v < g.num_nodes(); ++v) {
      for (NodeIndex u : g.predecessors(v)) preds[at(v)] |= bit(u);
    }
    for (NodeIndex s : g.sinks()) sinks |= bit(s);
  }
  Bytes memory(Mask resident) const {
    Bytes total = 0;
    for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
      if (resident & bit(v)) total += graph.bytes(v);
    }
    return total;
  }
  const Graph& graph;
  std::vector<Mask> preds;
  Mask sinks = 0;
};

// One step encoded as +(v + 1) for compute(v), -(v + 1) for free(v).
GraphSchedule rebuild(const std::unordered_map<Mask, std::pair<Mask, int>>& parent, Mask goal) {
  GraphSchedule schedule;
  for (Mask s = goal; s != 0 || parent.count(s) > 0;) {
    const auto it = parent.find(s);
    if (it == parent.end() || it->second.second == 0) break;
    const int step = it->second.second;
    schedule.push_back(step > 0 ? GraphOp::compute(static_cast<NodeIndex>(step - 1))
                                : GraphOp::free(static_cast<NodeIndex>(-step - 1)));
    s = it->second.first;
  }
  std::reverse(schedule.begin(), schedule.end());
  return schedule;
}

[[noreturn]] void too_many(const char* caller, std::int64_t max_states, NodeIndex n) {
  throw std::invalid_argument(std::string(caller) + ": more than " + std::to_string(max_states) +
                              " resident sets visited (up to 2^" + std::to_string(n) +
                              "); use remat_greedy or raise max_states");
}

}  // namespace

std::optional<RematPlan> remat_exact(const Graph& graph, Bytes budget_bytes,
                                     const ExactRematOptions& options) {
  if (budget_bytes < 0) throw std::invalid_argument("graph::remat_exact: negative budget");
  check_exact(graph, options, "graph::remat_exact");
  const Space space(graph);
  const NodeIndex n = graph.num_nodes();
  auto estimate = [&](Mask s) {
    double h = 0.0;
    for (NodeIndex v : graph.sinks()) {
      if (!(s & bit(v))) h += graph.time(v);
    }
    return h;
  };
  using Entry = std::tuple<double, double, Mask>;  // f, g, state
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
  std::unordered_map<Mask, double> best;
  std::unordered_map<Mask, std::pair<Mask, int>> parent;
  best[0] = 0.0;
  parent[0] = {0, 0};
  open.push({estimate(0), 0.0, 0});
  while (!open.empty()) {
    // Named copies, not a structured binding: the lambda below captures the state, and
    // clang before 16 cannot capture structured bindings.
    const auto top = open.top();
    open.pop();
    const double g = std::get<1>(top);
    const Mask s = std::get<2>(top);
    if (g > best[s]) continue;
    if ((s & space.sinks) == space.sinks) {
      RematPlan plan;
      plan.schedule = rebuild(parent, s);
      const GraphSimulation sim = simulate(graph, plan.schedule);
      plan.time = sim.compute_time;
      plan.peak = sim.peak;
      plan.optimal = true;
      plan.lower_bound = plan.time;
      return plan;
    }
    const Bytes memory = space.memory(s);
    auto relax = [&](Mask next, double cost, int step) {
      const auto it = best.find(next);
      if (it != best.end() && it->second <= cost) return;
      if (it == best.end() && static_cast<std::int64_t>(best.size()) >= options.max_states) {
        too_many("graph::remat_exact", options.max_states, n);
      }
      best[next] = cost;
      parent[next] = {s, step};
      open.push({cost + estimate(next), cost, next});
    };
    for (NodeIndex v = 0; v < n; ++v) {
      if (s & bit(v)) {
        relax(s & ~bit(v), g, -(v + 1));
      } else if ((s & space.preds[at(v)]) == space.preds[at(v)] &&
                 memory + graph.bytes(v) + graph.temp_bytes(v) <= budget_bytes) {
        relax(s | bit(v), g + graph.time(v), v + 1);
      }
    }
  }
  return std::nullopt;
}

Bytes min_feasible_budget(const Graph& graph, const ExactRematOptions& options) {
  check_exact(graph, options, "graph::min_feasible_budget");
  const Space space(graph);
  const NodeIndex n = graph.num_nodes();
  using Entry = std::pair<Bytes, Mask>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
  std::unordered_map<Mask, Bytes> best;
  best[0] = 0;
  open.push({0, 0});
  while (!open.empty()) {
    const auto [b, s] = open.top();
    open.pop();
    if (b > best[s]) continue;
    if ((s & space.sinks) == space.sinks) return b;
    const Bytes memory = space.memory(s);
    for (NodeIndex v = 0; v < n; ++v) {
      Mask next = 0;
      Bytes cost = b;
      if (s & bit(v)) {
        next = s & ~bit(v);
      } else if ((s & space.preds[at(v)]) == space.preds[at(v)]) {
        next = s | bit(v);
        cost = std::max(b, memory + graph.bytes(v) + graph.temp_bytes(v));
      } else {
        continue;
      }
      const auto it = best.find(next);
      if (it != best.end() && it->second <= cost) continue;
      if (it == best.end() && static_cast<std::int64_t>(best.size()) >= options.max_states) {
        too_many("graph::min_feasible_budget", options.max_states, n);
      }
      best[next] = cost;
      open.push({cost, next});
    }
  }
  throw std::logic_error("graph::min_feasible_budget: no schedule (impossible for a DAG)");
}

std::optional<RematPlan> remat_greedy(const Graph& graph, Bytes budget_bytes) {
  if (budget_bytes < 0) throw std::invalid_argument("graph::remat_greedy: negative budget");
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  const std::vector<NodeIndex> order = min_peak_heuristic(graph).order;
  std::vector<std::int64_t> position(n);
  for (std::size_t k = 0; k < n; ++k) position[at(order[k])] = static_cast<std::int64_t>(k);
  std::vector<char> resident(n, 0), done(n, 0);
  std::vector<std::int64_t> pins(n, 0);
  std::vector<NodeIndex> resident_list;
  std::vector<std::size_t> slot(n, 0);
  Bytes memory = 0;
  GraphSchedule schedule;
  constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  auto next_use = [&](NodeIndex u) {
    std::int64_t best = kNever;
    for (NodeIndex w : graph.successors(u)) {
      if (!done[at(w)]) best = std::min(best, position[at(w)]);
    }
    return best;
  };
  auto drop = [&](NodeIndex u) {
    resident[at(u)] = 0;
    memory -= graph.bytes(u);
    const std::size_t k = slot[at(u)];
    resident_list[k] = resident_list.back();
    slot[at(resident_list[k])] = k;
    resident_list.pop_back();
    schedule.push_back(GraphOp::free(u));
  };
  std::int64_t step = 0;  // position in the order of the node being brought in
  // Frees outputs until `need` more bytes fit; false if the pinned and sink outputs alone fill it.
  // The victim minimises (cost to rebuild it) / (bytes x distance to its next use), after the
  // eviction score of DTR (Kirisame et al., ICLR 2021): the cost counts its own time and the
  // times of its inputs that are no longer resident; an output with no further use goes first.
  auto make_room = [&](Bytes need) {
    while (memory + need > budget_bytes) {
      NodeIndex victim = -1;
      double best_score = std::numeric_limits<double>::infinity();
      for (NodeIndex u : resident_list) {
        if (pins[at(u)] > 0 || graph.is_sink(u) || graph.bytes(u) == 0) continue;
        const std::int64_t use = next_use(u);
        double score = 0.0;
        if (use != kNever) {
          double rebuild = graph.time(u);
          for (NodeIndex p : graph.predecessors(u)) {
            if (!resident[at(p)]) rebuild += graph.time(p);
          }
          const double distance = static_cast<double>(use - step + 1);
          score = (rebuild + 1e-9) / (static_cast<double>(graph.bytes(u)) * distance);
        }
        if (score < best_score) {
          best_score = score;
          victim = u;
        }
      }
      if (victim < 0) return false;
      drop(victim);
    }
    return true;
  };
  // Recursive recomputation can revisit ancestors along every path; past this many computes the
  // greedy gives up rather than run for an exponential time.
  const std::int64_t max_computes = kGreedyComputesPerNode * static_cast<std::int64_t>(n);
  std::int64_t computes = 0;
  auto compute = [&](NodeIndex x) {
    resident[at(x)] = 1;
    memory += graph.bytes(x);
    slot[at(x)] = resident_list.size();
    resident_list.push_back(x);
    schedule.push_back(GraphOp::compute(x));
  };
  std::vector<NodeIndex> stack;
  auto push = [&](NodeIndex x) {
    stack.push_back(x);
    for (NodeIndex u : graph.predecessors(x)) {
      if (resident[at(u)]) ++pins[at(u)];
    }
  };
  for (NodeIndex v : order) {
    step = position[at(v)];
    push(v);
    while (!stack.empty()) {
      const NodeIndex x = stack.back();
      NodeIndex missing = -1;
      for (NodeIndex u : graph.predecessors(x)) {
        if (!resident[at(u)]) {
          missing = u;
          break;
        }
      }
      if (missing >= 0) {
        push(missing);
        continue;
      }
      // Every input of x is resident now, but one brought in for another input's recomputation
      // lost that frame's pin when it was popped: pin them all while room is made for x.
      for (NodeIndex u : graph.predecessors(x)) ++pins[at(u)];
      const bool room = make_room(graph.bytes(x) + graph.temp_bytes(x));
      for (NodeIndex u : graph.predecessors(x)) --pins[at(u)];
      if (!room) return std::nullopt;
      if (++computes > max_computes) return std::nullopt;
      compute(x);
      for (NodeIndex u : graph.predecessors(x)) --pins[at(u)];
      stack.pop_back();
      if (!stack.empty()) ++pins[at(x)];  // an input of the frame below
    }
    done[at(v)] = 1;
    for (NodeIndex u : graph.predecessors(v)) {
      if (resident[at(u)] && pins[at(u)] == 0 && next_use(u) == kNever) drop(u);
    }
  }
  RematPlan plan;
  const GraphSimulation sim = simulate(graph, schedule);
  plan.schedule = std::move(schedule);
  plan.time = sim.compute_time;
  plan.peak = sim.peak;
  plan.lower_bound = graph.total_time();
  plan.optimal = sim.num_recomputes == 0;
  return plan;
}

std::vector<RematCurvePoint> remat_curve_exact(const Graph& graph,
                                               const ExactRematOptions& options) {
  check_exact(graph, options, "graph::remat_curve_exact");
  std::vector<RematCurvePoint> curve;
  Bytes budget = min_feasible_budget(graph, options);
  auto time_at = [&](Bytes b) { return remat_exact(graph, b, options)->time; };
  double time = time_at(budget);
  curve.push_back({budget, time, true});
  const Bytes top = min_peak_exact(graph).peak;  // no recomputation from here on
  while (time > graph.total_time() && budget < top) {
    Bytes lo = budget, hi = top;  // time_at(lo) == time, time_at(hi) < time
    while (hi - lo > 1) {
      const Bytes mid = lo + (hi - lo) / 2;
      if (time_at(mid) < time) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    budget = hi;
    time = time_at(budget);
    curve.push_back({budget, time, true});
  }
  return curve;
}

std::vector<RematCurvePoint> remat_curve_greedy(const Graph& graph, std::int64_t num_points) {
  if (num_points < 2 || num_points > 10000) {
    throw std::invalid_argument("graph::remat_curve_greedy: num_points " +
                                std::to_string(num_points) + " is not in [2, 10000]");
  }
  const Bytes lo = peak_lower_bound(graph);
  const Bytes hi = std::max(lo, min_peak_heuristic(graph).peak);
  std::vector<RematCurvePoint> curve;
  Bytes last = -1;
  for (std::int64_t k = 0; k < num_points; ++k) {
    const Bytes budget =
        lo + static_cast<Bytes>((static_cast<double>(hi - lo) * static_cast<double>(k)) /
                                static_cast<double>(num_points - 1));
    if (budget == last) continue;
    last = budget;
    const auto plan = remat_greedy(graph, budget);
    if (!plan) continue;
    if (curve.empty() || plan->time < curve.back().time) {
      curve.push_back({budget, plan->time, plan->optimal});
    }
  }
  return curve;
}

}  // namespace memsched::graph
