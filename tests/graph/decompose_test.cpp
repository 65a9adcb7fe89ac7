// Tests of the block decomposition: the structure it finds, the chain it builds (equal to the
// heterogeneous chain a graph was converted from), and its schedules replayed by the simulator
// and compared with the exact optimum.
#include "memsched/graph/decompose.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "hetero/random_chain.hpp"
#include "memsched/graph/convert.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"
#include "memsched/hetero/persistent.hpp"

namespace memsched::graph {
namespace {

// A random training graph of `blocks` blocks: block i computes 1-2 internal nodes from x_i
// (a small random DAG) and x_{i+1} from them; its backward is a chain of 1-2 nodes from ȳ_{i+1}
// to ȳ_i that reads some of the block's forward nodes and x_i; a loss node closes the forward.
Graph random_training_graph(std::mt19937_64& rng, int blocks, bool skips) {
  std::uniform_int_distribution<int> count(1, 2);
  std::uniform_int_distribution<Bytes> size(1, 8), tmp(0, 3);
  std::uniform_int_distribution<int> time(1, 5);
  std::bernoulli_distribution coin(0.5);
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  auto add = [&](const std::string& id) {
    nodes.push_back({id, static_cast<double>(time(rng)), size(rng), tmp(rng)});
    return static_cast<NodeIndex>(nodes.size() - 1);
  };
  std::vector<NodeIndex> x{add("x0")};
  std::vector<std::vector<NodeIndex>> saved(static_cast<std::size_t>(blocks));
  for (int i = 0; i < blocks; ++i) {
    std::vector<NodeIndex> inner;
    const int k = count(rng);
    for (int j = 0; j < k; ++j) {
      const NodeIndex v = add("f" + std::to_string(i) + "." + std::to_string(j));
      // Read x_i or an earlier inner node (at least one), sometimes both.
      if (inner.empty() || coin(rng)) edges.push_back({x.back(), v});
      if (!inner.empty()) {
        edges.push_back(
            {inner[std::uniform_int_distribution<std::size_t>(0, inner.size() - 1)(rng)], v});
      }
      inner.push_back(v);
    }
    const NodeIndex next = add("x" + std::to_string(i + 1));
    for (NodeIndex v : inner) {
      // x_{i+1} reads every inner node no other inner node reads, and some others.
      bool read = false;
      for (const GraphEdge& e : edges) read = read || e.from == v;
      if (!read || coin(rng)) edges.push_back({v, next});
    }
    if (skips && coin(rng)) edges.push_back({x.back(), next});  // a residual connection
    saved[static_cast<std::size_t>(i)] = inner;
    saved[static_cast<std::size_t>(i)].push_back(x.back());
    saved[static_cast<std::size_t>(i)].push_back(next);
    x.push_back(next);
  }
  NodeIndex gradient = add("loss");
  edges.push_back({x.back(), gradient});
  for (int i = blocks - 1; i >= 0; --i) {
    const int k = count(rng);
    const auto& reads = saved[static_cast<std::size_t>(i)];
    for (int j = 0; j < k; ++j) {
      const NodeIndex v = add("b" + std::to_string(i) + "." + std::to_string(j));
      edges.push_back({gradient, v});
      for (NodeIndex r : reads) {
        if (coin(rng)) edges.push_back({r, v});
      }
      gradient = v;
    }
  }
  // Remove repeated edges.
  std::sort(edges.begin(), edges.end(), [](const GraphEdge& a, const GraphEdge& b) {
    return std::make_pair(a.from, a.to) < std::make_pair(b.from, b.to);
  });
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return Graph(std::move(nodes), edges);
}

TEST(Decompose, RecoversTheChainAGraphWasConvertedFrom) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 40; ++trial) {
    const HeteroChain chain = testing::tape_free_chain(rng, 1 + trial % 5, 1, 6, 3, 1.0);
    const Graph g = graph_from_hetero(chain, 0.0);
    const auto blocks = block_chain(g);
    ASSERT_TRUE(blocks.has_value()) << "trial " << trial;
    ASSERT_EQ(blocks->chain.num_stages(), chain.num_stages());
    for (std::int64_t i = 0; i < chain.num_stages(); ++i) {
      const HeteroStage& a = chain.stage(i);
      const HeteroStage& b = blocks->chain.stage(i);
      EXPECT_EQ(a.forward_time, b.forward_time);
      EXPECT_EQ(a.backward_time, b.backward_time);
      EXPECT_EQ(a.input_bytes, b.input_bytes);
      EXPECT_EQ(a.tape_bytes, b.tape_bytes);
      EXPECT_EQ(a.forward_tmp_bytes, b.forward_tmp_bytes);
      EXPECT_EQ(a.recording_tmp(), b.recording_tmp());
      EXPECT_EQ(a.backward_tmp_bytes, b.backward_tmp_bytes);
    }
    EXPECT_EQ(chain.loss(), blocks->chain.loss());
  }
}

// On converted chains the decomposition is the persistent DP: same time at every budget.
TEST(Decompose, EqualsThePersistentDpOnConvertedChains) {
  std::mt19937_64 rng(2);
  PersistentOptions exact;
  exact.exact = true;
  int points = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const HeteroChain chain = testing::tape_free_chain(rng, 2 + trial % 4, 1, 6, 3, 1.0);
    const Graph g = graph_from_hetero(chain, 0.0);
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak() + 1; ++budget) {
      const auto dp = plan_persistent(chain, budget, exact);
      const DecompositionResult d = remat_decomposition(g, budget);
      ASSERT_EQ(d.num_stages, chain.num_stages());
      if (!dp) continue;  // the graph model may still fit where the chain model does not
      ASSERT_TRUE(d.plan.has_value()) << "trial " << trial << " budget " << budget;
      EXPECT_DOUBLE_EQ(d.plan->time, dp->makespan) << "trial " << trial << " budget " << budget;
      EXPECT_LE(d.plan->peak, budget);
      const GraphSimulation sim = simulate(g, d.plan->schedule);
      EXPECT_EQ(sim.peak, d.plan->peak);
      EXPECT_DOUBLE_EQ(sim.compute_time, d.plan->time);
      ++points;
    }
  }
  EXPECT_GT(points, 100);
}

// Random training graphs: the structure has one stage per block; every schedule replays within
// the budget and is never faster than the exact optimum.
TEST(Decompose, RandomTrainingGraphsAgainstTheExactOptimum) {
  std::mt19937_64 rng(3);
  int points = 0, equal = 0;
  double worst = 1.0;
  for (int trial = 0; trial < 24; ++trial) {
    const Graph g = random_training_graph(rng, 2 + trial % 2, trial % 2 == 1);
    ASSERT_LE(g.num_nodes(), 17);
    const auto blocks = block_chain(g);
    ASSERT_TRUE(blocks.has_value()) << "trial " << trial;
    // At least one stage per block (a block may split further where its nodes are separators).
    EXPECT_GE(blocks->chain.num_stages(), 2 + trial % 2) << "trial " << trial;
    const Bytes lo = min_feasible_budget(g), hi = min_peak_heuristic(g).peak;
    for (Bytes budget = lo; budget <= hi; budget += std::max<Bytes>(1, (hi - lo) / 6)) {
      const auto exact = remat_exact(g, budget);
      ASSERT_TRUE(exact.has_value());
      const DecompositionResult d = remat_decomposition(g, budget);
      if (!d.plan) continue;
      const GraphSimulation sim = simulate(g, d.plan->schedule);
      ASSERT_LE(sim.peak, budget);
      ASSERT_DOUBLE_EQ(sim.compute_time, d.plan->time);
      ASSERT_GE(d.plan->time, exact->time - 1e-9) << "trial " << trial;
      worst = std::max(worst, d.plan->time / exact->time);
      equal += d.plan->time == exact->time;
      ++points;
    }
  }
  EXPECT_GT(points, 60);
  std::printf("decomposition on random training graphs: %d points, %d optimal, worst ratio %.3f\n",
              points, equal, worst);
}

TEST(Decompose, RefusesGraphsWithoutStructure) {
  // Two sinks.
  const Graph two({{"a", 1, 1, 0}, {"b", 1, 1, 0}, {"c", 1, 1, 0}},
                  std::vector<std::pair<std::string, std::string>>{{"a", "b"}, {"a", "c"}});
  EXPECT_FALSE(block_chain(two).has_value());
  EXPECT_THROW((void)remat_decomposition(two, 10), std::invalid_argument);
  EXPECT_THROW((void)remat_decomposition(two, -1), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
