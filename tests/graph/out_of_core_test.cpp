// Tests of out-of-core graph schedules: a hand-checked instance, replay in the simulator within
// the bound, the lower bound <= the exhaustive optimum <= eviction by next use on seeded random
// DAGs, and the errors.
#include "memsched/graph/out_of_core.hpp"

#include <gtest/gtest.h>

#include <random>

#include "memsched/errors.hpp"
#include "memsched/graph/traversal.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

// s -> a1 -> a2 -> t and s -> b1 -> b2 -> t with sizes (1, 4, 1, 2, 2, 1): order s a1 a2 b1 b2 t
// peaks at 6 (while a2 runs: s, a1 and a2).
Graph two_branches() {
  return Graph({{"s", 1, 1, 0},
                {"a1", 1, 4, 0},
                {"a2", 1, 1, 0},
                {"b1", 1, 2, 0},
                {"b2", 1, 2, 0},
                {"t", 1, 1, 0}},
               std::vector<std::pair<std::string, std::string>>{
                   {"s", "a1"}, {"a1", "a2"}, {"a2", "t"}, {"s", "b1"}, {"b1", "b2"}, {"b2", "t"}});
}

// A random topological order of g.
std::vector<NodeIndex> random_order(const Graph& g, std::mt19937_64& rng) {
  const auto n = static_cast<std::size_t>(g.num_nodes());
  std::vector<std::int64_t> missing(n);
  std::vector<NodeIndex> ready, order;
  for (NodeIndex v = 0; v < g.num_nodes(); ++v) {
    missing[static_cast<std::size_t>(v)] = static_cast<std::int64_t>(g.predecessors(v).size());
    if (missing[static_cast<std::size_t>(v)] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    std::uniform_int_distribution<std::size_t> pick(0, ready.size() - 1);
    const std::size_t k = pick(rng);
    const NodeIndex v = ready[k];
    ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(k));
    order.push_back(v);
    for (NodeIndex w : g.successors(v)) {
      if (--missing[static_cast<std::size_t>(w)] == 0) ready.push_back(w);
    }
  }
  return order;
}

// The plan replays: each node computed once, in the plan's order, within the bound, with the
// reported I/O and peak.
void expect_replays(const Graph& g, const OutOfCorePlan& plan, Bytes bound) {
  const GraphSimulation sim = simulate(g, plan.schedule);
  EXPECT_LE(sim.peak, bound);
  EXPECT_EQ(sim.peak, plan.peak);
  EXPECT_EQ(sim.io_bytes, plan.io_bytes);
  EXPECT_EQ(plan.io_bytes, plan.stored_bytes + plan.loaded_bytes);
  EXPECT_EQ(sim.num_computes, g.num_nodes());
  EXPECT_EQ(sim.num_recomputes, 0);
  std::vector<NodeIndex> computes;
  for (const GraphOp& op : plan.schedule) {
    if (op.kind == GraphOpKind::kCompute) computes.push_back(op.node);
  }
  EXPECT_EQ(computes, plan.order);
  EXPECT_GE(plan.io_bytes, plan.lower_bound);
}

TEST(GraphOutOfCore, TwoBranchesHandChecked) {
  const Graph g = two_branches();
  const std::vector<NodeIndex> order{0, 1, 2, 3, 4, 5};
  ASSERT_EQ(order_peak(g, order), 6);
  // Bound 5: before a2, s (next use b1) is stored and freed, and loaded back before b1.
  const auto plan = out_of_core_schedule(g, order, 5);
  ASSERT_TRUE(plan);
  expect_replays(g, *plan, 5);
  EXPECT_EQ(plan->io_bytes, 2);
  EXPECT_EQ(plan->lower_bound, 2);
  EXPECT_EQ(plan->num_stores, 1);
  EXPECT_EQ(plan->num_loads, 1);
  EXPECT_EQ(out_of_core_exact_io(g, order, 5), Bytes{2});
  EXPECT_EQ(min_out_of_core_memory(g), 5);  // a1 with its input s, a2 with a1
  EXPECT_FALSE(out_of_core_schedule(g, order, 4));
  EXPECT_FALSE(out_of_core_exact_io(g, order, 4));
}

TEST(GraphOutOfCore, DisjointStepsAddUp) {
  // With a temporary on b2, both a2 and b2 exceed the bound 5 by 1; the outputs still needed at
  // a2 (s, a1) are dead by b2, so the bound counts both steps: 2 * (1 + 1).
  const Graph g(
      {{"s", 1, 1, 0},
       {"a1", 1, 4, 0},
       {"a2", 1, 1, 0},
       {"b1", 1, 2, 0},
       {"b2", 1, 2, 1},
       {"t", 1, 1, 0}},
      std::vector<std::pair<std::string, std::string>>{
          {"s", "a1"}, {"a1", "a2"}, {"a2", "t"}, {"s", "b1"}, {"b1", "b2"}, {"b2", "t"}});
  const std::vector<NodeIndex> order{0, 1, 2, 3, 4, 5};
  EXPECT_EQ(io_lower_bound(g, order, 5), 4);
  EXPECT_EQ(out_of_core_exact_io(g, order, 5), Bytes{4});
  const auto plan = out_of_core_schedule(g, order, 5);
  ASSERT_TRUE(plan);
  expect_replays(g, *plan, 5);
  EXPECT_EQ(plan->io_bytes, 4);
}

TEST(GraphOutOfCore, NoSlowLevelAtTheOrdersPeak) {
  const Graph g = two_branches();
  const std::vector<NodeIndex> order{0, 3, 1, 4, 2, 5};
  const Bytes peak = order_peak(g, order);
  const auto plan = out_of_core_schedule(g, order, peak);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->io_bytes, 0);
  EXPECT_EQ(plan->schedule, traversal_schedule(g, order));
  EXPECT_EQ(plan->order_peak, peak);
}

TEST(GraphOutOfCore, EvictedSinksComeBackAtTheEnd) {
  // Two sinks: x (size 3) early and z late; with bound 4 x must leave while y and z run.
  const Graph g({{"x", 1, 3, 0}, {"y", 1, 2, 0}, {"z", 1, 1, 0}},
                std::vector<std::pair<std::string, std::string>>{{"y", "z"}});
  const std::vector<NodeIndex> order{0, 1, 2};
  const auto plan = out_of_core_schedule(g, order, 4);
  ASSERT_TRUE(plan);
  expect_replays(g, *plan, 4);
  EXPECT_EQ(plan->io_bytes, 6);  // x stored once and loaded at the end
  EXPECT_EQ(plan->schedule.back(), GraphOp::load(0));
  EXPECT_EQ(out_of_core_exact_io(g, order, 4), Bytes{6});
}

TEST(GraphOutOfCore, BoundBelowExhaustiveBelowHeuristicOnRandomDags) {
  std::mt19937_64 rng(2027);
  int trials = 0, equal = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 3 + trial % 6;
    const Graph g = test::random_dag(rng, n, 0.35, 6, trial % 3 == 0 ? 2 : 0);
    const std::vector<NodeIndex> order =
        trial % 2 == 0 ? random_order(g, rng) : min_peak_heuristic(g).order;
    const Bytes lo = min_out_of_core_memory(g), peak = order_peak(g, order);
    for (Bytes bound = lo; bound <= peak; ++bound) {
      const auto best = out_of_core_exact_io(g, order, bound);
      ASSERT_TRUE(best);
      for (GraphEvictionPolicy policy :
           {GraphEvictionPolicy::kFurthestNextUse, GraphEvictionPolicy::kLargestFirst}) {
        const auto plan = out_of_core_schedule(g, order, bound, policy);
        ASSERT_TRUE(plan) << "trial " << trial << " bound " << bound;
        expect_replays(g, *plan, bound);
        EXPECT_LE(plan->lower_bound, *best) << "trial " << trial << " bound " << bound;
        EXPECT_LE(*best, plan->io_bytes) << "trial " << trial << " bound " << bound;
        if (bound == peak) {
          EXPECT_EQ(*best, 0);
          EXPECT_EQ(plan->io_bytes, 0);
        }
        if (policy == GraphEvictionPolicy::kFurthestNextUse) {
          ++trials;
          if (*best == plan->io_bytes) ++equal;
        }
      }
    }
    if (lo > 0) {
      EXPECT_FALSE(out_of_core_schedule(g, order, lo - 1));
      EXPECT_FALSE(out_of_core_exact_io(g, order, lo - 1));
    }
  }
  // Eviction by next use is not optimal with mixed sizes, but it is on most of these instances.
  EXPECT_GT(equal, trials / 2);
}

TEST(GraphOutOfCore, LargeGraphWithinTheBound) {
  std::mt19937_64 rng(15);
  const Graph g = test::random_dag(rng, 600, 0.01, 1000, 200, 3);
  const GraphTraversal t = min_peak_heuristic(g);
  const Bytes lo = min_out_of_core_memory(g);
  for (Bytes bound : {lo, (lo + t.peak) / 2, t.peak}) {
    const auto plan = out_of_core_schedule(g, t.order, bound);
    ASSERT_TRUE(plan);
    expect_replays(g, *plan, bound);
    EXPECT_GE(plan->lower_bound, io_lower_bound_any_order(t.lower_bound, bound));
  }
}

TEST(GraphOutOfCore, LowerBoundOverEveryOrder) {
  EXPECT_EQ(io_lower_bound_any_order(10, 7), 6);
  EXPECT_EQ(io_lower_bound_any_order(7, 10), 0);
  EXPECT_THROW(io_lower_bound_any_order(-1, 10), std::invalid_argument);
  // Never above the exhaustive optimum of the best order.
  const Graph g = two_branches();
  Bytes best = -1;
  test::for_each_order(g, [&](const std::vector<NodeIndex>& order) {
    const auto io = out_of_core_exact_io(g, order, 5);
    ASSERT_TRUE(io);
    if (best < 0 || *io < best) best = *io;
  });
  EXPECT_LE(io_lower_bound_any_order(test::brute_force_min_peak(g), 5), best);
}

TEST(GraphOutOfCore, Errors) {
  const Graph g = two_branches();
  const std::vector<NodeIndex> order{0, 1, 2, 3, 4, 5};
  EXPECT_THROW(out_of_core_schedule(g, order, -1), std::invalid_argument);
  EXPECT_THROW(out_of_core_schedule(g, {1, 0, 2, 3, 4, 5}, 5), std::invalid_argument);
  EXPECT_THROW(out_of_core_schedule(g, {0, 1, 2}, 5), std::invalid_argument);
  EXPECT_THROW(io_lower_bound(g, order, -3), std::invalid_argument);
  // One output of 2^50 bytes read by 2^13 nodes: its loads alone could pass 2^62.
  std::vector<GraphNode> nodes{{"a", 1, Bytes{1} << 50, 0}};
  std::vector<GraphEdge> edges;
  for (NodeIndex i = 1; i <= 8192; ++i) {
    nodes.push_back({"b" + std::to_string(i), 1, 1, 0});
    edges.push_back({0, i});
  }
  const Graph fan(nodes, edges);
  EXPECT_THROW(out_of_core_schedule(fan, fan.topological_order(), Bytes{1} << 51),
               std::invalid_argument);
  std::mt19937_64 rng(1);
  const Graph big = test::random_dag(rng, kMaxExactOutOfCoreNodes + 1, 0.3, 3, 0);
  EXPECT_THROW(out_of_core_exact_io(big, big.topological_order(), 100), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
