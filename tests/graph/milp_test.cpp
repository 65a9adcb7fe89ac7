// Tests of Checkmate's MILP solved by CBC: Checkmate's linear-graph optima, never below the exact
// search, every schedule replayed within its budget.
#include "memsched/graph/milp.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "memsched/graph/remat.hpp"
#include "memsched/graph/traversal.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

using test::linear_graph;

void expect_replays(const Graph& g, const RematPlan& plan, Bytes budget) {
  const GraphSimulation sim = simulate(g, plan.schedule);
  EXPECT_DOUBLE_EQ(sim.compute_time, plan.time);
  EXPECT_LE(sim.peak, budget);
}

TEST(GraphMilp, CheckmateLinearGraphOptima) {
  const std::vector<std::vector<double>> table{{6, 5}, {10, 8, 7}, {15, 11, 10, 9}};
  for (int n = 2; n <= 4; ++n) {
    const Graph g = linear_graph(n);
    MilpOptions options;
    options.order.resize(static_cast<std::size_t>(g.num_nodes()));
    std::iota(options.order.begin(), options.order.end(), 0);
    EXPECT_TRUE(remat_milp(g, 2, options).infeasible);
    const auto& row = table[static_cast<std::size_t>(n - 2)];
    for (std::size_t k = 0; k < row.size(); ++k) {
      const Bytes budget = 3 + static_cast<Bytes>(k);
      const MilpResult r = remat_milp(g, budget, options);
      ASSERT_TRUE(r.plan.has_value()) << "n " << n << " budget " << budget;
      EXPECT_TRUE(r.proven_optimal);
      EXPECT_DOUBLE_EQ(r.objective, row[k]) << "n " << n << " budget " << budget;
      EXPECT_DOUBLE_EQ(r.plan->time, row[k]);
      expect_replays(g, *r.plan, budget);
    }
  }
}

TEST(GraphMilp, NeverBelowTheExactOptimum) {
  std::mt19937_64 rng(404);
  int equal = 0, solved = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const Graph g = test::random_dag(rng, 4 + trial % 5, 0.4, 4, trial % 2 == 0 ? 0 : 2, 4);
    const Bytes lo = peak_lower_bound(g), top = min_peak_exact(g).peak;
    for (Bytes budget = lo; budget <= top; ++budget) {
      const auto exact = remat_exact(g, budget);
      const MilpResult r = remat_milp(g, budget);
      if (!exact) {
        EXPECT_FALSE(r.plan.has_value());
        continue;
      }
      if (!r.plan) continue;  // the MILP's fixed first-computation order may not fit
      ++solved;
      expect_replays(g, *r.plan, budget);
      EXPECT_GE(r.plan->time, exact->time - 1e-9);
      EXPECT_LE(r.plan->time, r.objective + 1e-9);  // freeing early never adds computes
      equal += std::abs(r.plan->time - exact->time) < 1e-9;
    }
  }
  EXPECT_GT(solved, 50);
  RecordProperty("milp_equal_to_exact", equal);
  RecordProperty("milp_solved", solved);
}

TEST(GraphMilp, RejectsBadArguments) {
  const Graph g = linear_graph(2);
  EXPECT_THROW((void)remat_milp(g, -1), std::invalid_argument);
  MilpOptions bad;
  bad.order = {1, 0, 2, 3, 4};
  EXPECT_THROW((void)remat_milp(g, 4, bad), std::invalid_argument);
  MilpOptions tiny;
  tiny.max_variables = 10;
  EXPECT_THROW((void)remat_milp(g, 4, tiny), std::invalid_argument);
}

}  // namespace
}  // namespace memsched::graph
