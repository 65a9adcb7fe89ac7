// Tests of the time and peak formulas against the worked example and the push/pop simulator.
#include "memsched/calltree/evaluate.hpp"

#include <gtest/gtest.h>

#include <random>

#include "examples.hpp"

namespace memsched {
namespace {

struct Row {
  bool a, a1, b;
  double time;
  Bytes peak;
};

// The table of all 8 assignments of docs/calltree.md's worked example.
TEST(CallTreeEvaluate, WorkedExampleTable) {
  const CallTree tree = test::worked_example();
  const Row rows[] = {{false, false, false, 30, 100}, {false, true, false, 32, 86},
                      {false, false, true, 33, 100},  {false, true, true, 35, 86},
                      {true, false, false, 36, 70},   {true, true, false, 38, 70},
                      {true, false, true, 39, 70},    {true, true, true, 41, 70}};
  for (const Row& r : rows) {
    const JointSet joint{false, r.a, r.a1, r.b};
    const CallTreeCost cost = evaluate_calltree(tree, joint);
    EXPECT_EQ(cost.time, r.time) << r.a << r.a1 << r.b;
    EXPECT_EQ(cost.peak, r.peak) << r.a << r.a1 << r.b;
    const CallTreeSimulation sim = simulate_calltree(tree, joint);
    EXPECT_EQ(sim.cost.time, r.time);
    EXPECT_EQ(sim.cost.peak, r.peak);
  }
}

TEST(CallTreeEvaluate, EventsOfJointCall) {
  const CallTree tree = test::worked_example();
  const CallTreeSimulation sim = simulate_calltree(tree, {false, true, false, false}, true);
  // Rec(R): record R, push 10, snapshot A (8), plain A and A1, record B, push 30; then back.
  ASSERT_GE(sim.events.size(), 6u);
  EXPECT_EQ(sim.events[0].kind, CallEventKind::kRecord);
  EXPECT_EQ(sim.events[1].kind, CallEventKind::kPushTape);
  EXPECT_EQ(sim.events[1].stack, 10);
  EXPECT_EQ(sim.events[2].kind, CallEventKind::kPushSnapshot);
  EXPECT_EQ(sim.events[2].call, 1);
  EXPECT_EQ(sim.events[2].stack, 18);
  EXPECT_EQ(sim.events[3].kind, CallEventKind::kPlain);
  EXPECT_EQ(sim.events[4].kind, CallEventKind::kPlain);
  EXPECT_EQ(sim.events[4].call, 2);
  EXPECT_EQ(sim.events.back().kind, CallEventKind::kAdjointEnd);
  EXPECT_EQ(sim.events.back().call, 0);
  EXPECT_EQ(sim.events.back().stack, 0);
  EXPECT_EQ(sim.events.back().clock, 36);
  EXPECT_EQ(sim.pushes, sim.pops);
  EXPECT_THROW(simulate_calltree(tree, {false, true, false, false}, true, 3), std::length_error);
}

// Every body is recorded once and run plainly once per joint call on its path (itself
// included): "a routine three calls deep runs its primal four times" under all-joint.
TEST(CallTreeEvaluate, RunCountsFollowJointDepth) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    const CallTree tree = test::random_calltree(rng, 1 + trial % 15, 0);
    const JointSet joint = all_joint(tree);
    const CallTreeSimulation sim = simulate_calltree(tree, joint);
    for (CallIndex v = 0; v < tree.num_calls(); ++v) {
      EXPECT_EQ(sim.record_runs[static_cast<std::size_t>(v)], 1);
      EXPECT_EQ(sim.plain_runs[static_cast<std::size_t>(v)], tree.depth(v));
    }
  }
}

TEST(CallTreeEvaluate, StoreAllIsTotalTape) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    const CallTree tree = test::random_calltree(rng, 1 + trial % 12, 0);
    const CallTreeCost cost =
        evaluate_calltree(tree, JointSet(static_cast<std::size_t>(tree.num_calls()), false));
    EXPECT_EQ(cost.peak, tree.total_tape());
    EXPECT_EQ(cost.time, tree.base_time());
  }
}

// The simulator that really pushes and pops agrees with the closed formulas.
TEST(CallTreeEvaluate, SimulatorEqualsFormulasOnRandomTrees) {
  std::mt19937_64 rng(2026);
  for (int trial = 0; trial < 3000; ++trial) {
    const CallTree tree = test::random_calltree(rng, 1 + trial % 25);
    JointSet joint(static_cast<std::size_t>(tree.num_calls()), false);
    for (CallIndex v = 1; v < tree.num_calls(); ++v) {
      const bool want = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
      joint[static_cast<std::size_t>(v)] = tree.may_be_joint(v) && (want || !tree.may_be_split(v));
    }
    const CallTreeCost formula = evaluate_calltree(tree, joint);
    const CallTreeSimulation sim = simulate_calltree(tree, joint);
    ASSERT_EQ(sim.cost.peak, formula.peak) << "trial " << trial;
    ASSERT_EQ(sim.cost.time, formula.time) << "trial " << trial;
    ASSERT_EQ(sim.pushes, sim.pops);
  }
}

TEST(CallTreeEvaluate, DeepChainDoesNotRecurse) {
  std::vector<CallNode> calls(200000);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    calls[i].name = "f" + std::to_string(i);
    calls[i].parent = static_cast<CallIndex>(i) - 1;
    calls[i].time = 1;
    calls[i].tape_bytes = 2;
    calls[i].snapshot_bytes = 1;
  }
  const CallTree tree(calls);
  JointSet joint(calls.size(), false);
  for (std::size_t i = 1; i < calls.size(); i += 2) joint[i] = true;
  const CallTreeCost formula = evaluate_calltree(tree, joint);
  const CallTreeSimulation sim = simulate_calltree(tree, JointSet(calls.size(), false));
  EXPECT_EQ(sim.cost.peak, 400000);
  EXPECT_GT(formula.peak, 0);
}

TEST(CallTreeEvaluate, RejectsBadAssignments) {
  const CallTree tree = test::worked_example();
  EXPECT_THROW(evaluate_calltree(tree, {true, false, false, false}), std::invalid_argument);
  EXPECT_THROW(simulate_calltree(tree, {false, false}), std::invalid_argument);
  EXPECT_THROW(simulate_calltree(tree, {false, false, false, false}, true, -1),
               std::invalid_argument);
}

}  // namespace
}  // namespace memsched
