// Tests of rematerialization under a budget: Checkmate's linear-graph optima, exact search ==
// exhaustive value iteration on seeded random DAGs, the greedy within bounds, the curves.
#include "memsched/graph/remat.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "memsched/graph/traversal.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

using test::linear_graph;

void expect_replays(const Graph& g, const RematPlan& plan, Bytes budget) {
  const GraphSimulation sim = simulate(g, plan.schedule);
  EXPECT_DOUBLE_EQ(sim.compute_time, plan.time);
  EXPECT_EQ(sim.peak, plan.peak);
  EXPECT_LE(sim.peak, budget);
}

TEST(GraphRemat, CheckmateLinearGraphOptima) {
  // Optimal total cost per budget 3, 4, ... (Checkmate's MILP solved with CBC; rows n <= 4 were
  // also confirmed by an exhaustive search without Checkmate's stage restriction).
  const std::vector<std::vector<double>> table{{6, 5},
                                               {10, 8, 7},
                                               {15, 11, 10, 9},
                                               {21, 14, 13, 12, 11},
                                               {28, 18, 16, 15, 14, 13},
                                               {36, 22, 19, 18, 17, 16, 15}};
  for (int n = 2; n <= 7; ++n) {
    const Graph g = linear_graph(n);
    EXPECT_FALSE(remat_exact(g, 2).has_value());
    EXPECT_EQ(min_feasible_budget(g), 3);
    EXPECT_EQ(min_peak_exact(g).peak, n + 2);
    const auto& row = table[static_cast<std::size_t>(n - 2)];
    for (std::size_t k = 0; k < row.size(); ++k) {
      const Bytes budget = 3 + static_cast<Bytes>(k);
      const auto plan = remat_exact(g, budget);
      ASSERT_TRUE(plan.has_value());
      expect_replays(g, *plan, budget);
      // Without Checkmate's stage restriction the optimum could only be lower; it is equal.
      EXPECT_DOUBLE_EQ(plan->time, row[k]) << "n " << n << " budget " << budget;
    }
    EXPECT_DOUBLE_EQ(remat_exact(g, 3)->time, (2 * n + 1) + n * (n - 1) / 2.0);
  }
}

TEST(GraphRemat, ExactEqualsExhaustiveOnRandomDags) {
  std::mt19937_64 rng(1515);
  int recomputing = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    const int n = 3 + trial % 8;
    const double p = std::uniform_real_distribution<double>(0.15, 0.7)(rng);
    const Graph g = test::random_dag(rng, n, p, 4, trial % 3 == 0 ? 2 : 0, 5);
    const Bytes lo = peak_lower_bound(g);
    const Bytes top = min_peak_exact(g).peak;
    const Bytes smallest = min_feasible_budget(g);
    ASSERT_GE(smallest, lo);
    ASSERT_LE(smallest, top);
    double previous = -1.0;
    for (Bytes budget = std::max<Bytes>(0, lo - 1); budget <= top; ++budget) {
      const double expected = test::brute_force_remat(g, budget);
      const auto plan = remat_exact(g, budget);
      ASSERT_EQ(plan.has_value(), expected >= 0) << "trial " << trial << " budget " << budget;
      ASSERT_EQ(plan.has_value(), budget >= smallest);
      if (!plan) continue;
      ASSERT_DOUBLE_EQ(plan->time, expected) << "trial " << trial << " budget " << budget;
      expect_replays(g, *plan, budget);
      if (previous >= 0) {
        ASSERT_LE(plan->time, previous);  // monotone in the budget
      }
      previous = plan->time;
      if (plan->time > g.total_time()) ++recomputing;
      const auto greedy = remat_greedy(g, budget);
      if (greedy) {
        expect_replays(g, *greedy, budget);
        ASSERT_GE(greedy->time, plan->time);
      }
    }
    ASSERT_DOUBLE_EQ(remat_exact(g, top)->time, g.total_time());
  }
  EXPECT_GT(recomputing, 200);
}

TEST(GraphRemat, GreedyNeedsNoMoreThanTheHeuristicPeak) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    const Graph g = test::random_dag(rng, 60, 0.08, 50, 10, 3);
    const GraphTraversal t = min_peak_heuristic(g);
    const auto plan = remat_greedy(g, t.peak);
    ASSERT_TRUE(plan.has_value());
    expect_replays(g, *plan, t.peak);
    EXPECT_DOUBLE_EQ(plan->time, g.total_time());
    const auto tight = remat_greedy(g, (t.peak + t.lower_bound) / 2);
    if (tight) expect_replays(g, *tight, (t.peak + t.lower_bound) / 2);
  }
}

TEST(GraphRemat, Curves) {
  const Graph g = linear_graph(4);
  const std::vector<RematCurvePoint> curve = remat_curve_exact(g);
  EXPECT_EQ(curve, (std::vector<RematCurvePoint>{
                       {3, 15, true}, {4, 11, true}, {5, 10, true}, {6, 9, true}}));
  const std::vector<RematCurvePoint> greedy = remat_curve_greedy(g, 8);
  ASSERT_FALSE(greedy.empty());
  EXPECT_DOUBLE_EQ(greedy.back().time, 9.0);
  for (std::size_t k = 1; k < greedy.size(); ++k) EXPECT_LT(greedy[k].time, greedy[k - 1].time);
  EXPECT_THROW((void)remat_curve_greedy(g, 1), std::invalid_argument);
}

TEST(GraphRemat, RefusesLargeGraphs) {
  std::mt19937_64 rng(9);
  const Graph g = test::random_dag(rng, 50, 0.1, 5, 0);
  EXPECT_THROW((void)remat_exact(g, 100), std::invalid_argument);
  EXPECT_THROW((void)remat_exact(linear_graph(2), -1), std::invalid_argument);
  ExactRematOptions tiny;
  tiny.max_states = 3;
  EXPECT_THROW((void)remat_exact(linear_graph(3), 3, tiny), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
