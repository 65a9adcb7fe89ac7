// Tests of the conversions into the graph model, and the identities they make checkable: trees
// (Liu's optimum), heterogeneous chains (the exhaustive optimum), chains (Revolve).
#include "memsched/graph/convert.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "hetero/random_chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"
#include "memsched/hetero/exhaustive.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/join/plan.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/tree/generate.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/traversal.hpp"
#include "support/graph_oracle.hpp"
#include "support/join_exhaustive.hpp"

namespace memsched::graph {
namespace {

TEST(GraphConvert, TreeOrdersHaveTheSamePeak) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const Tree tree = random_tree(9, seed);
    const Graph g = graph_from_tree(tree);
    ASSERT_EQ(g.num_nodes(), 9);
    const Traversal liu = liu_optimal_traversal(tree);
    const std::vector<NodeIndex> order(liu.order.begin(), liu.order.end());
    EXPECT_EQ(order_peak(g, order), liu.peak);
    EXPECT_EQ(test::brute_force_min_peak(g), liu.peak) << "seed " << seed;
  }
}

TEST(GraphConvert, ExactDpOnTreesEqualsLiu) {
  ExactTraversalOptions forced;
  forced.shortcut = false;  // search even though the graph is an in-tree
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const Tree tree = random_tree(16 + static_cast<NodeId>(seed % 8), seed);
    const Graph g = graph_from_tree(tree);
    const GraphTraversal exact = min_peak_exact(g, forced);
    EXPECT_EQ(exact.peak, liu_optimal_traversal(tree).peak) << "seed " << seed;
    EXPECT_EQ(simulate(g, traversal_schedule(g, exact.order)).peak, exact.peak);
    EXPECT_EQ(min_peak_heuristic(g).peak, exact.peak);  // the heuristic runs Liu on in-trees
  }
}

TEST(GraphConvert, HeteroChainOptimumEqualsTheExhaustiveOneWithoutPinRule) {
  std::mt19937_64 rng(2026);
  constexpr double kInput = 1000.0;  // x_0 is never worth recomputing
  int points = 0, feasible = 0, compared = 0, equal = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const HeteroChain chain =
        testing::tape_free_chain(rng, 1 + trial % 3, 0, 4, trial % 2 == 0 ? 0 : 3, 0.0);
    const Graph g = graph_from_hetero(chain, kInput);
    HeteroExhaustiveOptions no_pin;
    no_pin.rules.pin_inputs = false;
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak(); ++budget) {
      const auto hetero = plan_exhaustive(chain, budget, no_pin);
      const auto graph_plan = remat_exact(g, budget);
      const bool graph_ok = graph_plan && graph_plan->time < 2 * kInput;
      ++points;
      ASSERT_EQ(graph_ok, hetero.has_value()) << "trial " << trial << " budget " << budget;
      if (!hetero) continue;
      ++feasible;
      EXPECT_DOUBLE_EQ(graph_plan->time - kInput, hetero->makespan)
          << "trial " << trial << " budget " << budget;
      EXPECT_LE(graph_plan->peak, budget);
      // The persistent DP (pin rule on) can only be slower.
      PersistentOptions exact;
      exact.exact = true;
      const auto persistent = plan_persistent(chain, budget, exact);
      if (persistent) {
        EXPECT_GE(persistent->makespan, graph_plan->time - kInput);
        // Where the pin rule costs nothing (the exhaustive optimum with it equals the one
        // without), the persistent DP equals the graph optimum.
        const auto pinned = plan_exhaustive(chain, budget);
        if (pinned && pinned->makespan == hetero->makespan) {
          ++compared;
          equal += persistent->makespan == graph_plan->time - kInput;
        }
      }
    }
  }
  EXPECT_GT(feasible, 100);
  EXPECT_GT(points, 300);
  std::printf("persistent DP = graph optimum on %d of %d points where the pin rule is free\n",
              equal, compared);
  EXPECT_GT(compared, 80);
  EXPECT_EQ(equal, compared);
  RecordProperty("persistent_equal", equal);
  RecordProperty("persistent_compared", compared);
}

TEST(GraphConvert, HeteroChainWithTapesIsAnUpperBound) {
  std::mt19937_64 rng(77);
  constexpr double kInput = 1000.0;
  for (int trial = 0; trial < 40; ++trial) {
    const HeteroChain chain = testing::random_chain(rng, 1 + trial % 3, 4, 2);
    const Graph g = graph_from_hetero(chain, kInput);
    HeteroExhaustiveOptions no_pin;
    no_pin.rules.pin_inputs = false;
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak(); ++budget) {
      const auto graph_plan = remat_exact(g, budget);
      if (!graph_plan || graph_plan->time >= 2 * kInput) continue;
      const auto hetero = plan_exhaustive(chain, budget, no_pin);
      ASSERT_TRUE(hetero.has_value());
      EXPECT_LE(hetero->makespan, graph_plan->time - kInput);
    }
  }
}

TEST(GraphConvert, ChainGraphBracketsRevolve) {
  constexpr double kInput = 1000.0;
  ChainGraphOptions options;
  options.input_time = kInput;
  int equal_above = 0, total = 0;
  for (Step n = 1; n <= 7; ++n) {
    const Graph g = graph_from_chain(Chain(n), options);
    ASSERT_EQ(g.num_nodes(), 2 * n);
    for (std::int64_t slots = 1; slots <= n; ++slots) {
      auto stream = revolve(Chain(n), Platform::ram(slots));
      ASSERT_TRUE(stream.has_value());
      const double revolve_cost = simulate(*stream, Chain(n), Platform::ram(slots)).cost;
      const auto below = remat_exact(g, slots + 2);
      const auto above = remat_exact(g, slots + 1);
      ASSERT_TRUE(below && above);
      EXPECT_LE(below->time - kInput, revolve_cost) << "n " << n << " slots " << slots;
      EXPECT_GE(above->time - kInput, revolve_cost) << "n " << n << " slots " << slots;
      equal_above += above->time - kInput == revolve_cost;
      ++total;
    }
  }
  RecordProperty("equal_at_slots_plus_one", equal_above);
  RecordProperty("points", total);
}

TEST(GraphConvert, JoinGraphStructure) {
  const JoinGraph jg({2, 3}, 2);
  const Graph g = graph_from_join(jg, 1, 0.0);
  // States: 3 + 4 branch states, 1 handle state; adjoints: 2 handle, 2 + 3 branch.
  EXPECT_EQ(g.num_nodes(), 3 + 4 + 1 + 2 + 2 + 3);
  EXPECT_EQ(g.sinks().size(), 2U);
  const GraphTraversal t = min_peak_heuristic(g);
  EXPECT_EQ(simulate(g, traversal_schedule(g, t.order)).peak, t.peak);
  const auto plan = remat_exact(g, t.peak);
  ASSERT_TRUE(plan.has_value());
  EXPECT_DOUBLE_EQ(plan->time, g.total_time());  // at the min-peak budget nothing is recomputed
  const Graph single = graph_from_join(JoinGraph({1}, 1));
  EXPECT_EQ(single.num_nodes(), 2 + 1 + 1);
}

// The join planner against the graph optimum, as for chains: with unit states and free
// adjoints the node-output model has no in-place advance, so the join DP with c slots (branch
// inputs included, plus its working buffer) lies between the graph optimum at budget c + 2 and
// at c + 1. The graph's time counts each adjoint as 2 (recording run + reversal) where the join
// model counts only the recording run, so (sum of L_b + H) is subtracted, and the branch inputs
// (input_time each, computed once) too. The join DP also equals the exhaustive join optimum.
TEST(GraphConvert, JoinGraphBracketsTheJoinDp) {
  constexpr double kInput = 1000.0;
  int points = 0, equal_above = 0;
  for (const auto& [branches, handle] :
       std::vector<std::pair<std::vector<Step>, Step>>{{{1, 1}, 1},
                                                       {{1, 1}, 2},
                                                       {{1, 1}, 3},
                                                       {{2, 1}, 2},
                                                       {{2, 2}, 1},
                                                       {{2, 2}, 2},
                                                       {{3, 1}, 2},
                                                       {{2, 3}, 1},
                                                       {{1, 1, 1}, 1},
                                                       {{1, 1, 1}, 2},
                                                       {{2, 1, 1}, 1}}) {
    const JoinGraph jg(branches, handle);
    const Graph g = graph_from_join(jg, 1, kInput);
    const auto k = static_cast<double>(jg.num_branches());
    const auto adjoints = static_cast<double>(jg.total_steps());
    auto graph_steps = [&](Bytes budget) -> std::optional<double> {
      const auto plan = remat_exact(g, budget);
      if (!plan || plan->time >= (k + 1) * kInput) return std::nullopt;  // an input recomputed
      EXPECT_LE(simulate(g, plan->schedule).peak, budget);
      return plan->time - k * kInput - adjoints;
    };
    for (std::int64_t slots = jg.num_branches(); slots <= jg.total_steps() + 2; ++slots) {
      const auto dp = plan_join(jg, slots);
      const auto oracle = testing::exhaustive_join_optimum(jg, slots);
      ASSERT_EQ(dp.has_value(), oracle.has_value()) << "slots " << slots;
      if (!dp) continue;
      ASSERT_EQ(dp->forward_steps, *oracle) << "slots " << slots;
      const auto below = graph_steps(slots + 2);
      const auto above = graph_steps(slots + 1);
      ASSERT_TRUE(below.has_value()) << "slots " << slots;
      const auto steps = static_cast<double>(dp->forward_steps);
      EXPECT_LE(*below, steps) << "slots " << slots;
      if (above) {
        EXPECT_GE(*above, steps) << "slots " << slots;
        equal_above += *above == steps;
      }
      ++points;
    }
  }
  std::printf("join DP: %d points, equal to the graph optimum at slots + 1 on %d\n", points,
              equal_above);
  EXPECT_GT(points, 40);
  EXPECT_GT(equal_above, 0);
  RecordProperty("points", points);
  RecordProperty("equal_at_slots_plus_one", equal_above);
}

TEST(GraphConvert, RejectsBadOptions) {
  ChainGraphOptions bad;
  bad.input_time = -1;
  EXPECT_THROW((void)graph_from_chain(Chain(3), bad), std::invalid_argument);
  EXPECT_THROW((void)graph_from_hetero(testing::chain_a(), std::nan("")), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
