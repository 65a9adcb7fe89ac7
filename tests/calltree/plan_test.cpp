// Tests of the call-tree planners: the Pareto dynamic programme against exhaustive search,
// the worked example's front, the grid heuristic's bounds and the work limit.
#include "memsched/calltree/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "examples.hpp"
#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/generate.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Every assignment that respects the pins, with its cost.
std::vector<CallTreeCost> exhaustive(const CallTree& tree) {
  std::vector<CallIndex> free_calls;
  JointSet base(static_cast<std::size_t>(tree.num_calls()), false);
  for (CallIndex v = 1; v < tree.num_calls(); ++v) {
    if (tree.may_be_joint(v) && tree.may_be_split(v)) free_calls.push_back(v);
    if (!tree.may_be_split(v)) base[static_cast<std::size_t>(v)] = true;
  }
  std::vector<CallTreeCost> all;
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << free_calls.size()); ++mask) {
    JointSet joint = base;
    for (std::size_t b = 0; b < free_calls.size(); ++b) {
      joint[static_cast<std::size_t>(free_calls[b])] = ((mask >> b) & 1) != 0;
    }
    all.push_back(evaluate_calltree(tree, joint));
  }
  return all;
}

std::vector<std::pair<double, Bytes>> front_of(std::vector<CallTreeCost> all) {
  std::sort(all.begin(), all.end(), [](const CallTreeCost& a, const CallTreeCost& b) {
    return a.time != b.time ? a.time < b.time : a.peak < b.peak;
  });
  std::vector<std::pair<double, Bytes>> front;
  for (const CallTreeCost& c : all) {
    if (front.empty() || c.peak < front.back().second) front.emplace_back(c.time, c.peak);
  }
  return front;
}

TEST(CallTreePlan, WorkedExampleFront) {
  const CallTree tree = test::worked_example();
  const std::vector<CallTreePoint> front = calltree_front(tree);
  ASSERT_EQ(front.size(), 3u);
  // (extra time, peak) = (0, 100), (2, 86), (6, 70) over store-all's 30.
  EXPECT_EQ(front[0].time - 30, 0);
  EXPECT_EQ(front[0].peak, 100);
  EXPECT_TRUE(front[0].joint.empty());
  EXPECT_EQ(front[1].time - 30, 2);
  EXPECT_EQ(front[1].peak, 86);
  EXPECT_EQ(front[1].joint, std::vector<CallIndex>{2});  // A1
  EXPECT_EQ(front[2].time - 30, 6);
  EXPECT_EQ(front[2].peak, 70);
  EXPECT_EQ(front[2].joint, std::vector<CallIndex>{1});  // A
}

TEST(CallTreePlan, WorkedExampleBudgets) {
  const CallTree tree = test::worked_example();
  const CallTreePlan p100 = plan_calltree(tree, 100);
  EXPECT_TRUE(p100.feasible && p100.optimal);
  EXPECT_EQ(p100.best.time, 30);
  const CallTreePlan p85 = plan_calltree(tree, 85);
  EXPECT_EQ(p85.best.time, 36);
  EXPECT_EQ(p85.best.peak, 70);
  EXPECT_EQ(p85.best.joint, std::vector<CallIndex>{1});
  const CallTreePlan p69 = plan_calltree(tree, 69);
  EXPECT_FALSE(p69.feasible);
  EXPECT_TRUE(p69.min_peak_exact);
  EXPECT_EQ(p69.min_peak, 70);
  const CallTreePeakBounds lowest = calltree_min_peak(tree);
  EXPECT_TRUE(lowest.exact);
  EXPECT_EQ(lowest.lower, 70);
}

// The dynamic programme equals exhaustive search: the whole front, and the optimum and the
// smallest feasible budget for budgets around every peak, on thousands of random trees.
TEST(CallTreePlan, EqualsExhaustiveSearchOnRandomTrees) {
  std::mt19937_64 rng(1717);
  for (int trial = 0; trial < 3000; ++trial) {
    const CallTree tree = test::random_calltree(rng, 1 + trial % 11);
    const std::vector<CallTreeCost> all = exhaustive(tree);
    const auto expected = front_of(all);
    const std::vector<CallTreePoint> front = calltree_front(tree);
    ASSERT_EQ(front.size(), expected.size()) << "trial " << trial;
    for (std::size_t i = 0; i < front.size(); ++i) {
      ASSERT_EQ(front[i].time, expected[i].first) << "trial " << trial << " point " << i;
      ASSERT_EQ(front[i].peak, expected[i].second) << "trial " << trial << " point " << i;
      const CallTreeCost check = evaluate_calltree(tree, joint_set(tree, front[i].joint));
      ASSERT_EQ(check.time, front[i].time);
      ASSERT_EQ(check.peak, front[i].peak);
    }
    const Bytes min_peak = expected.back().second;
    std::set<Bytes> budgets{0, min_peak - 1, min_peak};
    for (const auto& p : expected) budgets.insert({p.second - 1, p.second, p.second + 1});
    if (trial % 10 == 0) {
      EXPECT_EQ(calltree_min_peak(tree).lower, min_peak) << "trial " << trial;
    }
    for (Bytes budget : budgets) {
      if (budget < 0) continue;
      double best = -1;
      for (const CallTreeCost& c : all) {
        if (c.peak <= budget && (best < 0 || c.time < best)) best = c.time;
      }
      const CallTreePlan plan = plan_calltree(tree, budget);
      ASSERT_EQ(plan.feasible, best >= 0) << "trial " << trial << " budget " << budget;
      if (plan.feasible) {
        ASSERT_TRUE(plan.optimal);
        ASSERT_EQ(plan.best.time, best) << "trial " << trial << " budget " << budget;
        ASSERT_LE(plan.best.peak, budget);
      } else {
        ASSERT_EQ(plan.min_peak, min_peak);
        ASSERT_TRUE(plan.min_peak_exact);
      }
    }
  }
}

// The grid heuristic returns a feasible assignment with its exact cost, and a lower bound at
// most the optimum.
TEST(CallTreePlan, GridBoundsTheOptimum) {
  std::mt19937_64 rng(99);
  int proven = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const CallTree tree = test::random_calltree(rng, 2 + trial % 13);
    const std::vector<CallTreeCost> all = exhaustive(tree);
    const auto expected = front_of(all);
    const Bytes budget = expected[expected.size() / 2].second + trial % 7;
    double best = -1;
    for (const CallTreeCost& c : all) {
      if (c.peak <= budget && (best < 0 || c.time < best)) best = c.time;
    }
    CallTreePlanOptions options;
    options.grid_cells = 1 + trial % 5;
    const CallTreePlan plan = plan_calltree_grid(tree, budget, options);
    EXPECT_EQ(plan.method, "grid");
    ASSERT_LE(plan.time_lower_bound, best) << "trial " << trial;
    if (plan.feasible) {
      ASSERT_LE(plan.best.peak, budget);
      ASSERT_GE(plan.best.time, best);
      const CallTreeCost check = evaluate_calltree(tree, joint_set(tree, plan.best.joint));
      ASSERT_EQ(check.time, plan.best.time);
      if (plan.optimal) {
        ASSERT_EQ(plan.best.time, best);
        ++proven;
      }
    }
  }
  EXPECT_GT(proven, 0);
}

TEST(CallTreePlan, WorkLimit) {
  std::mt19937_64 rng(8);
  const CallTree tree = test::random_calltree(rng, 60, 0);
  CallTreePlanOptions options;
  options.max_work = 50;
  EXPECT_THAT([&] { calltree_front(tree, options); },
              ThrowsMessage<std::length_error>(HasSubstr("over the limit of 50")));
  // plan_calltree falls back to the grid, which refuses too at this tiny limit.
  EXPECT_THROW(plan_calltree(tree, tree.total_tape(), options), std::length_error);
  options.max_work = 20'000'000;
  options.grid_cells = 8;
  const CallTreePlan grid = plan_calltree_grid(tree, tree.total_tape() / 2, options);
  EXPECT_TRUE(grid.feasible);
  EXPECT_LE(grid.time_lower_bound, grid.best.time);
  options.max_work = 0;
  EXPECT_THROW(calltree_front(tree, options), std::invalid_argument);
  EXPECT_THROW(plan_calltree(tree, -1), std::invalid_argument);
}

// A tree whose exact front is too large: plan_calltree falls back to the grid, whose answer is
// feasible, re-evaluated exactly, and above its own lower bound.
TEST(CallTreePlan, LargeTreeFallsBackToTheGrid) {
  RandomCallTreeOptions shape;
  shape.num_calls = 400;
  shape.seed = 12;
  const CallTree tree = random_calltree(shape);
  CallTreePlanOptions options;
  options.max_work = 200'000;
  EXPECT_THROW(calltree_front(tree, options), std::length_error);
  options.max_work = 3'000'000;
  const Bytes budget = tree.total_tape() / 3;
  const CallTreePlan plan = plan_calltree(tree, budget, options);
  EXPECT_EQ(plan.method, "grid");
  ASSERT_TRUE(plan.feasible);
  EXPECT_LE(plan.best.peak, budget);
  EXPECT_LE(plan.time_lower_bound, plan.best.time);
  EXPECT_GT(plan.time_lower_bound, tree.base_time());
  const CallTreeCost check = evaluate_calltree(tree, joint_set(tree, plan.best.joint));
  EXPECT_EQ(check.time, plan.best.time);
  EXPECT_EQ(check.peak, plan.best.peak);
}

}  // namespace
}  // namespace memsched
