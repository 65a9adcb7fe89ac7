// Tests of join graphs: the simulator's rules, the planner's schedules replayed, the planner
// against the exhaustive optimum on small graphs, and against the naive plan.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <sstream>
#include <tuple>
#include <vector>

#include "memsched/errors.hpp"
#include "memsched/join/plan.hpp"
#include "memsched/join/simulate.hpp"
#include "memsched/join/svg.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/join_exhaustive.hpp"

namespace memsched {
namespace {

TEST(JoinGraph, Validates) {
  EXPECT_THROW(JoinGraph({}, 3), std::invalid_argument);
  EXPECT_THROW(JoinGraph({3, 0}, 3), std::invalid_argument);
  EXPECT_THROW(JoinGraph({3}, 0), std::invalid_argument);
  const JoinGraph g({3, 4}, 2);
  EXPECT_EQ(g.handle(), 2);
  EXPECT_EQ(g.total_steps(), 9);
  EXPECT_EQ(to_string(JoinAction{2, Action::forward(0, 1)}, g), "handle: Forward(0, 1)");
}

TEST(JoinSimulate, RejectsAJoinWithoutEveryOutput) {
  const JoinGraph g({1, 1}, 1);
  const JoinSchedule bad = {
      {0, Action::forward(0, 1)}, {2, Action::forward(0, 1, true)},  // branch 1 was never run
  };
  EXPECT_THROW(simulate_join(bad, g, 3), ScheduleError);
}

TEST(JoinSimulate, RejectsBranchReversalBeforeTheJoin) {
  const JoinGraph g({2}, 2);
  const JoinSchedule bad = {
      {0, Action::copy(0, Content::kState, kWork, 0)},
      {0, Action::forward(0, 2)},
      {0, Action::copy(2, Content::kState, kWork, 0)},
      {1, Action::forward(0, 1)},
      {1, Action::forward(1, 2, true)},
      {1, Action::end_forward()},
      {1, Action::reverse(2, 1)},
      {0, Action::copy(0, Content::kState, 0, kWork)},
      {0, Action::forward(0, 1, true)},
      {0, Action::reverse(1, 0)},
  };
  EXPECT_THROW(simulate_join(bad, g, 4), ScheduleError);
}

// One branch: the graph is the chain of L + H steps, and the plan is Revolve on it (the turn
// starts at the branch input).
TEST(JoinPlan, OneBranchIsAChain) {
  for (Step l = 1; l <= 12; ++l) {
    for (Step h = 1; h <= 6; ++h) {
      for (std::int64_t c = 1; c <= 6; ++c) {
        const JoinGraph g({l}, h);
        const auto plan = plan_join(g, c);
        ASSERT_TRUE(plan.has_value());
        const JoinReport report = simulate_join(plan->schedule, g, c);
        EXPECT_EQ(report.forward_steps, plan->forward_steps);
        EXPECT_EQ(report.forward_steps, revolve_forward_steps(l + h, c));
        EXPECT_LE(report.peak_slots, c);
      }
    }
  }
}

TEST(JoinSvg, DrawsLegalSchedulesOnly) {
  const JoinGraph g({5, 3}, 2);
  const auto plan = plan_join(g, 6);
  ASSERT_TRUE(plan.has_value());
  std::ostringstream out;
  const JoinReport report = write_join_svg(out, plan->schedule, g, 6);
  EXPECT_EQ(report.forward_steps, plan->forward_steps);
  EXPECT_NE(out.str().find("<svg"), std::string::npos);
  EXPECT_NE(out.str().find("branch 1"), std::string::npos);
  JoinSchedule broken = plan->schedule;
  broken.pop_back();  // no EndReverse
  std::ostringstream ignored;
  EXPECT_THROW(write_join_svg(ignored, broken, g, 6), ScheduleError);
}

// The optimum's own schedule is legal and costs what the search says: the oracle is checked
// against the simulator before the planner is checked against the oracle.
TEST(JoinExhaustive, ItsScheduleReplays) {
  for (const auto& [branches, h, c] :
       std::vector<std::tuple<std::vector<Step>, Step, std::int64_t>>{
           {{1, 1}, 3, 3}, {{3, 3}, 2, 3}, {{2, 3}, 2, 4}, {{2, 1, 1}, 2, 5}, {{4}, 3, 2}}) {
    const JoinGraph g(branches, h);
    const auto optimum = testing::exhaustive_join_optimum(g, c);
    const auto schedule = testing::exhaustive_join_schedule(g, c);
    ASSERT_TRUE(optimum.has_value());
    ASSERT_TRUE(schedule.has_value());
    const JoinReport report = simulate_join(*schedule, g, c);
    EXPECT_EQ(report.forward_steps, *optimum);
    EXPECT_LE(report.peak_slots, c);
  }
}

// The smallest case outside the three-phase family of the seeds: branches (1, 1), handle 3,
// 3 slots. Keeping the other output stored during the turn leaves one snapshot for the chain
// x^b_0 -> join -> handle (12 forward steps); the optimum (11) drops both outputs to checkpoint
// h_1, and recomputes them before recording the join.
TEST(JoinPlan, RecomputesTheOutputsWhenThatIsCheaper) {
  const JoinGraph g({1, 1}, 3);
  const auto plan = plan_join(g, 3);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->forward_steps, 11);
  EXPECT_EQ(plan->recomputations, 1);
  EXPECT_EQ(simulate_join(plan->schedule, g, 3).forward_steps, 11);
  EXPECT_EQ(testing::exhaustive_join_optimum(g, 3), 11);
}

struct Small {
  std::vector<Step> branches;
  Step handle;
};

// Every two-branch graph with 1 <= L_0 <= L_1 <= 3 and H <= 3, three-branch graphs with
// lengths <= 2 and H <= 2, and two chains (k = 1).
std::vector<Small> small_graphs() {
  std::vector<Small> graphs;
  for (Step a = 1; a <= 3; ++a) {
    for (Step b = a; b <= 3; ++b) {
      for (Step h = 1; h <= 3; ++h) graphs.push_back({{a, b}, h});
    }
  }
  for (Step a = 1; a <= 2; ++a) {
    for (Step b = a; b <= 2; ++b) {
      for (Step d = b; d <= 2; ++d) {
        for (Step h = 1; h <= 2; ++h) graphs.push_back({{a, b, d}, h});
      }
    }
  }
  graphs.push_back({{5}, 3});
  graphs.push_back({{6}, 4});
  return graphs;
}

// Legal, as predicted, within the slots, and equal to the exhaustive optimum; never worse
// than the naive plan. The counts are those of docs/join.md's Debug grid.
TEST(JoinPlan, EqualsTheExhaustiveOptimum) {
  int feasible = 0;
  int naive_feasible = 0;
  int naive_optimal = 0;
  int recomputing = 0;
  for (const Small& s : small_graphs()) {
    const JoinGraph g(s.branches, s.handle);
    for (std::int64_t c = 1; c <= 7; ++c) {
      const auto optimum = testing::exhaustive_join_optimum(g, c);
      const auto plan = plan_join(g, c);
      const auto naive = plan_join_naive(g, c);
      if (!plan) {
        EXPECT_FALSE(optimum.has_value()) << "the planner finds no schedule but one exists";
        EXPECT_FALSE(naive.has_value());
        continue;
      }
      ASSERT_TRUE(optimum.has_value());
      const JoinReport report = simulate_join(plan->schedule, g, c);
      EXPECT_EQ(report.forward_steps, plan->forward_steps);
      EXPECT_LE(report.peak_slots, c);
      EXPECT_EQ(report.forward_steps, *optimum)
          << g.num_branches() << " branches, first " << s.branches[0] << ", handle " << s.handle
          << ", " << c << " slots";
      feasible += 1;
      recomputing += plan->recomputations > 0 ? 1 : 0;
      if (!naive) continue;
      const JoinReport naive_report = simulate_join(naive->schedule, g, c);
      EXPECT_EQ(naive_report.forward_steps, naive->forward_steps);
      EXPECT_LE(report.forward_steps, naive_report.forward_steps);
      naive_feasible += 1;
      naive_optimal += naive_report.forward_steps == *optimum ? 1 : 0;
    }
  }
  EXPECT_EQ(feasible, 128);
  EXPECT_EQ(naive_feasible, 110);
  EXPECT_EQ(naive_optimal, 46);
  EXPECT_EQ(recomputing, 3);
}

// The wide sweep of docs/join.md (minutes in Release; run it with
// --gtest_also_run_disabled_tests --gtest_filter='*WideSweep*'): two branches with lengths
// <= 5 and H <= 4, three branches with lengths <= 3 and H <= 2, four with lengths <= 2 and
// H <= 2, chains of L <= 12 and H <= 6; every slot count up to 8 (9 for four branches).
TEST(JoinPlan, DISABLED_WideSweep) {
  std::vector<Small> graphs;
  for (Step a = 1; a <= 5; ++a) {
    for (Step b = a; b <= 5; ++b) {
      for (Step h = 1; h <= 4; ++h) graphs.push_back({{a, b}, h});
    }
  }
  for (Step a = 1; a <= 3; ++a) {
    for (Step b = a; b <= 3; ++b) {
      for (Step d = b; d <= 3; ++d) {
        for (Step h = 1; h <= 2; ++h) graphs.push_back({{a, b, d}, h});
      }
    }
  }
  for (Step a = 1; a <= 2; ++a) {
    for (Step b = a; b <= 2; ++b) {
      for (Step d = b; d <= 2; ++d) {
        for (Step e = d; e <= 2; ++e) {
          for (Step h = 1; h <= 2; ++h) graphs.push_back({{a, b, d, e}, h});
        }
      }
    }
  }
  for (Step a = 1; a <= 12; ++a) {
    for (Step h = 1; h <= 6; ++h) graphs.push_back({{a}, h});
  }
  int feasible = 0;
  int optimal = 0;
  int naive_feasible = 0;
  int naive_optimal = 0;
  int recomputing = 0;
  for (const Small& s : graphs) {
    const JoinGraph g(s.branches, s.handle);
    const std::int64_t max_slots = g.num_branches() == 4 ? 9 : g.num_branches() == 1 ? 6 : 8;
    for (std::int64_t c = 1; c <= max_slots; ++c) {
      const auto optimum = testing::exhaustive_join_optimum(g, c, 30'000'000);
      const auto plan = plan_join(g, c);
      ASSERT_EQ(plan.has_value(), optimum.has_value());
      if (!plan) continue;
      const JoinReport report = simulate_join(plan->schedule, g, c);
      EXPECT_EQ(report.forward_steps, plan->forward_steps);
      EXPECT_LE(report.peak_slots, c);
      EXPECT_EQ(report.forward_steps, *optimum);
      feasible += 1;
      optimal += report.forward_steps == *optimum ? 1 : 0;
      recomputing += plan->recomputations > 0 ? 1 : 0;
      const auto naive = plan_join_naive(g, c);
      if (!naive) continue;
      naive_feasible += 1;
      naive_optimal += simulate_join(naive->schedule, g, c).forward_steps == *optimum ? 1 : 0;
    }
  }
  std::printf(
      "wide sweep: %d cases with a schedule, %d optimal, %d recompute outputs; naive %d, "
      "%d optimal\n",
      feasible, optimal, recomputing, naive_feasible, naive_optimal);
}

// Beyond the exhaustive search's reach: random graphs (fixed seed) at budgets from the
// tightest up, the turn recomputing the outputs in some of them. Every plan is legal, costs
// what the DP predicts, stays within its slots and never loses to the naive plan.
TEST(JoinPlan, RandomGraphsReplayAsPredicted) {
  std::mt19937 rng(7);
  int plans = 0;
  int recomputing = 0;
  for (int iteration = 0; iteration < 150; ++iteration) {
    const std::int32_t k = 1 + static_cast<std::int32_t>(rng() % 3);
    std::vector<Step> branches;
    for (std::int32_t b = 0; b < k; ++b) branches.push_back(1 + static_cast<Step>(rng() % 25));
    const JoinGraph g(branches, 1 + static_cast<Step>(rng() % 10));
    for (std::int64_t c = 2 * k - 1; c <= 2 * k + 5; ++c) {
      const auto plan = plan_join(g, c);
      if (!plan) continue;
      const JoinReport report = simulate_join(plan->schedule, g, c);
      EXPECT_EQ(report.forward_steps, plan->forward_steps);
      EXPECT_LE(report.peak_slots, c);
      const auto naive = plan_join_naive(g, c);
      if (naive) {
        EXPECT_LE(plan->forward_steps, naive->forward_steps);
      }
      plans += 1;
      recomputing += plan->recomputations > 0 ? 1 : 0;
    }
  }
  EXPECT_GT(plans, 900);
  EXPECT_GT(recomputing, 30);
}

// Where the theory says the DP should win: with slots beyond the 2k - 1 inputs and outputs,
// forward-phase checkpoints, the turn's choice of branch and the reversal order pay off (the
// table of docs/join.md). The plan is replayed; the naive plan is never better.
TEST(JoinPlan, BeatsTheNaivePlanWithSpareSlots) {
  struct Case {
    std::vector<Step> branches;
    Step handle;
  };
  for (const Case& c : {Case{{50, 50}, 10}, Case{{100, 20}, 10}, Case{{30, 20, 10}, 5}}) {
    const JoinGraph g(c.branches, c.handle);
    const std::int64_t k = g.num_branches();
    for (std::int64_t slots = 2 * k - 1; slots <= 3 * k + 10; ++slots) {
      const auto plan = plan_join(g, slots);
      const auto naive = plan_join_naive(g, slots);
      ASSERT_TRUE(plan.has_value());
      const JoinReport report = simulate_join(plan->schedule, g, slots);
      EXPECT_EQ(report.forward_steps, plan->forward_steps);
      EXPECT_LE(report.peak_slots, slots);
      if (!naive) continue;
      EXPECT_LE(plan->forward_steps, simulate_join(naive->schedule, g, slots).forward_steps);
      if (slots >= 2 * k + 2) {
        EXPECT_LT(plan->forward_steps, naive->forward_steps) << slots;
      }
    }
  }
}

}  // namespace
}  // namespace memsched
