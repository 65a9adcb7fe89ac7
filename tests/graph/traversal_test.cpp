// Tests of minimum-peak orders: the reference vectors, exact DP == exhaustive search on seeded
// random DAGs, heuristic within its bounds, every order replayed by the simulator.
#include "memsched/graph/traversal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "memsched/graph/simulate.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

using Edges = std::vector<std::pair<std::string, std::string>>;

Graph two_branches(std::vector<Bytes> temp) {
  const std::vector<std::string> ids{"s", "a1", "a2", "b1", "b2", "t"};
  const std::vector<Bytes> f{1, 4, 1, 2, 2, 1};
  std::vector<GraphNode> nodes;
  for (std::size_t i = 0; i < ids.size(); ++i) nodes.push_back({ids[i], 1.0, f[i], temp[i]});
  return Graph(
      nodes, Edges{{"s", "a1"}, {"a1", "a2"}, {"a2", "t"}, {"s", "b1"}, {"b1", "b2"}, {"b2", "t"}});
}

void expect_replays(const Graph& g, const GraphTraversal& t) {
  const GraphSimulation sim = simulate(g, traversal_schedule(g, t.order));
  EXPECT_EQ(sim.peak, t.peak);
  EXPECT_EQ(test::definition_peak(g, t.order), t.peak);
  EXPECT_LE(t.lower_bound, t.peak);
  EXPECT_EQ(sim.num_recomputes, 0);
}

TEST(GraphTraversal, TwoBranchesJoining) {
  const Graph g = two_branches({0, 0, 0, 0, 0, 0});
  const GraphTraversal t = min_peak_exact(g);
  EXPECT_EQ(t.peak, 6);
  EXPECT_TRUE(t.optimal);
  expect_replays(g, t);
  EXPECT_EQ(test::peak_histogram(g), (std::map<Bytes, int>{{6, 1}, {7, 3}, {8, 2}}));
  EXPECT_EQ(order_peak(g, {0, 3, 1, 4, 2, 5}), 8);  // s b1 a1 b2 a2 t
}

TEST(GraphTraversal, TwoBranchesWithTemporaries) {
  const Graph g = two_branches({0, 3, 0, 0, 1, 0});
  const GraphTraversal t = min_peak_exact(g);
  EXPECT_EQ(t.peak, 8);
  expect_replays(g, t);
  EXPECT_EQ(test::peak_histogram(g), (std::map<Bytes, int>{{8, 2}, {9, 1}, {10, 3}}));
}

TEST(GraphTraversal, NonSeriesParallelN) {
  const Graph g({{"a", 1, 3, 0}, {"b", 1, 2, 0}, {"c", 1, 1, 0}, {"d", 1, 4, 0}, {"e", 1, 1, 0}},
                Edges{{"a", "c"}, {"a", "d"}, {"b", "d"}, {"c", "e"}, {"d", "e"}});
  const GraphTraversal t = min_peak_exact(g);
  EXPECT_EQ(t.peak, 9);
  expect_replays(g, t);
  EXPECT_EQ(test::peak_histogram(g), (std::map<Bytes, int>{{9, 2}, {10, 3}}));
}

Graph binary_in_tree(int height) {
  const int n = (1 << (height + 1)) - 1;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  for (int i = 0; i < n; ++i) {
    nodes.push_back({std::to_string(i), 1.0, 1, 0});
    if (i > 0) edges.push_back({i, (i - 1) / 2});
  }
  return Graph(nodes, edges);
}

TEST(GraphTraversal, CompleteBinaryInTrees) {
  for (int h = 1; h <= 3; ++h) {
    const Graph g = binary_in_tree(h);
    const GraphTraversal t = min_peak_exact(g);
    EXPECT_EQ(t.peak, h + 2) << "height " << h;
    EXPECT_TRUE(min_peak_heuristic(g).optimal);  // an in-tree: Liu's algorithm
    expect_replays(g, t);
  }
}

TEST(GraphTraversal, ExactEqualsExhaustiveOnRandomDags) {
  std::mt19937_64 rng(15);
  int non_trivial = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int n = 2 + trial % 7;
    const double p = std::uniform_real_distribution<double>(0.1, 0.7)(rng);
    const Graph g = test::random_dag(rng, n, p, 6, trial % 2 == 0 ? 0 : 3);
    const Bytes expected = test::brute_force_min_peak(g);
    const GraphTraversal exact = min_peak_exact(g);
    ASSERT_EQ(exact.peak, expected) << "trial " << trial;
    ASSERT_TRUE(exact.optimal);
    expect_replays(g, exact);
    const GraphTraversal heuristic = min_peak_heuristic(g);
    expect_replays(g, heuristic);
    ASSERT_GE(heuristic.peak, expected);
    ASSERT_LE(heuristic.lower_bound, expected);
    if (heuristic.peak > expected) ++non_trivial;
  }
  EXPECT_GT(non_trivial, 0);  // the DP does more than confirm the heuristic
}

TEST(GraphTraversal, ExactOnMediumDagsBeatsOrMatchesTheHeuristic) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const Graph g = test::random_dag(rng, 24, 0.15, 20, 5);
    const GraphTraversal exact = min_peak_exact(g);
    const GraphTraversal heuristic = min_peak_heuristic(g);
    expect_replays(g, exact);
    EXPECT_LE(exact.peak, heuristic.peak);
    EXPECT_GE(exact.peak, heuristic.lower_bound);
  }
}

TEST(GraphTraversal, RefusesBeyondItsLimits) {
  std::mt19937_64 rng(3);
  const Graph wide = test::random_dag(rng, 40, 0.02, 10, 0);
  ExactTraversalOptions tiny;
  tiny.max_states = 10;
  try {
    (void)min_peak_exact(wide, tiny);
    // The heuristic may already be optimal; then no search is needed.
    EXPECT_TRUE(min_peak_heuristic(wide).optimal);
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("downsets"));
  }
  std::vector<GraphNode> nodes;
  for (int i = 0; i < 600; ++i) nodes.push_back({std::to_string(i), 1.0, 1 + i % 3, 0});
  const Graph big(nodes, std::vector<GraphEdge>{});
  EXPECT_THROW((void)min_peak_exact(big), std::invalid_argument);
  EXPECT_EQ(downset_count_bound(big), std::int64_t{1} << 62);  // saturated: 2^600
}

TEST(GraphTraversal, HeuristicOnALargeGraph) {
  std::mt19937_64 rng(11);
  // A layered random DAG of 20,000 nodes: edges to the previous layer only.
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  const int layers = 200, width = 100;
  std::uniform_int_distribution<Bytes> size(1, 100);
  std::uniform_int_distribution<int> pick(0, width - 1);
  for (int l = 0; l < layers; ++l) {
    for (int k = 0; k < width; ++k) {
      const int v = l * width + k;
      nodes.push_back({std::to_string(v), 1.0, size(rng), 0});
      if (l > 0) {
        const int a = (l - 1) * width + pick(rng), b = (l - 1) * width + pick(rng);
        edges.push_back({a, v});
        if (b != a) edges.push_back({b, v});
      }
    }
  }
  const Graph g(nodes, edges);
  const GraphTraversal t = min_peak_heuristic(g);
  EXPECT_EQ(simulate(g, traversal_schedule(g, t.order)).peak, t.peak);
  EXPECT_LE(t.lower_bound, t.peak);
  EXPECT_LE(t.peak, order_peak(g, g.topological_order()));
}

}  // namespace
}  // namespace memsched::graph
