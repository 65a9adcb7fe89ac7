// Tests of loop nodes (an iteration chain reversed by Revolve inside the call tree): the live
// snapshot count against the chain planners' schedule, a hand-computed example, the formulas
// against the push/pop simulator, and the planners against exhaustive search.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>

#include "examples.hpp"
#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/io.hpp"
#include "memsched/calltree/plan.hpp"
#include "memsched/calltree/site_profile.hpp"
#include "memsched/errors.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

using test::json_text;

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// The peak formula rests on one property of the Revolve schedule: the most snapshots it holds
// while an iteration is recorded is min(S, N - 1), reached at the first recording run; and its
// plain advances number t(N, S). Checked on every schedule with N <= 70.
TEST(CallTreeLoop, RevolveHoldsMinSNMinusOneSnapshots) {
  for (Step n = 1; n <= 70; ++n) {
    for (std::int64_t s = 1; s <= n + 2; ++s) {
      RevolveStream stream(n, s);
      std::int64_t live = 0;
      std::int64_t most = 0;
      std::int64_t first = -1;
      std::int64_t advances = 0;
      while (const std::optional<Action> a = stream.next()) {
        if (a->kind == ActionKind::kCopy && a->to != kWork) ++live;
        if (a->kind == ActionKind::kMove) --live;
        if (a->kind == ActionKind::kForward && a->record()) {
          most = std::max(most, live);
          if (first < 0) first = live;
        }
        if (a->kind == ActionKind::kForward && !a->record()) advances += a->end - a->begin;
      }
      const std::int64_t expected = std::min(s, n - 1);
      ASSERT_EQ(most, expected) << "n " << n << " s " << s;
      ASSERT_EQ(first, expected) << "n " << n << " s " << s;
      ASSERT_EQ(live, 0);
      ASSERT_EQ(advances, revolve_advances(n, s)) << "n " << n << " s " << s;
    }
  }
}

// R calls the loop L (4 iterations, 2 slots of 5 bytes), whose body calls C.
CallTree hand_example() {
  return read_calltree_json(R"({"id": "R", "time": 1, "tape_bytes": 10, "calls": [
      {"id": "L", "time": 2, "tape_bytes": 20, "snapshot_bytes": 5,
       "loop": {"iterations": 4, "snapshots": 2},
       "calls": [{"id": "C", "time": 1, "tape_bytes": 6, "snapshot_bytes": 3}]}]})");
}

TEST(CallTreeLoop, HandExample) {
  const CallTree tree = hand_example();
  ASSERT_TRUE(tree.is_loop(1));
  EXPECT_EQ(tree.loop_advances(1), 4);        // t(4, 2) = 2 * 4 - beta(3, 1)
  EXPECT_EQ(tree.loop_live_snapshots(1), 2);  // min(2, 3)
  EXPECT_EQ(tree.occurrences(2), 4);
  EXPECT_EQ(tree.body_time(1), 3);
  EXPECT_EQ(tree.subtree_time(1), 12);
  EXPECT_EQ(tree.subtree_time(0), 13);
  // All split: R 1 + 2, L 4 x (2 + 4), C 4 x (1 + 2), Revolve 4 advances x 3.
  EXPECT_EQ(tree.base_time(), 51);
  // Peak: R's 10, under L's 2 x 5 slots, under one iteration: 20 + 6.
  EXPECT_EQ(tree.total_tape(), 46);
  struct Row {
    bool l, c;
    double time;
    Bytes peak;
  };
  // C joint: +4 x P_C. L joint: +P_L = 12, and R's turn holds L's snapshot (5) only.
  for (const Row& r : {Row{false, false, 51, 46}, Row{false, true, 55, 46},
                       Row{true, false, 63, 46}, Row{true, true, 67, 46}}) {
    const JointSet joint{false, r.l, r.c};
    const CallTreeCost cost = evaluate_calltree(tree, joint);
    EXPECT_EQ(cost.time, r.time) << r.l << r.c;
    EXPECT_EQ(cost.peak, r.peak) << r.l << r.c;
    const CallTreeSimulation sim = simulate_calltree(tree, joint);
    EXPECT_EQ(sim.cost.time, r.time) << r.l << r.c;
    EXPECT_EQ(sim.cost.peak, r.peak) << r.l << r.c;
    EXPECT_EQ(sim.record_runs[1], 4);
    EXPECT_EQ(sim.record_runs[2], 4);
    // Plain runs of L's body: Revolve's 4 advances, plus 4 when L is joint.
    EXPECT_EQ(sim.plain_runs[1], 4 + (r.l ? 4 : 0));
  }
}

// A later sibling sees the loop's turn: L's slots plus its last iteration's tape stay on the
// stack from Rec(L) to Bwd(L) when L is split.
TEST(CallTreeLoop, TurnOfASplitLoop) {
  const CallTree tree = read_calltree_json(R"({"id": "R", "time": 1, "tape_bytes": 10, "calls": [
      {"id": "L", "time": 2, "tape_bytes": 20, "snapshot_bytes": 5,
       "loop": {"iterations": 10, "snapshots": 3}},
      {"id": "B", "time": 1, "tape_bytes": 100}]})");
  // Split L: 10 + (3 x 5 + 20) + 100 = 145. Joint L: 10 + 5 + 100 = 115.
  EXPECT_EQ(evaluate_calltree(tree, {false, false, false}).peak, 145);
  EXPECT_EQ(evaluate_calltree(tree, {false, true, false}).peak, 115);
  EXPECT_EQ(simulate_calltree(tree, {false, false, false}).cost.peak, 145);
  EXPECT_EQ(simulate_calltree(tree, {false, true, false}).cost.peak, 115);
}

// The simulator, which replays the chain planners' Revolve schedule for every loop, equals the
// closed formulas on random trees with (nested) loops; every iteration is recorded once.
TEST(CallTreeLoop, SimulatorEqualsFormulasOnRandomTrees) {
  std::mt19937_64 rng(4242);
  for (int trial = 0; trial < 2000; ++trial) {
    const CallTree tree = test::with_loops(rng, test::random_calltree(rng, 1 + trial % 18), 25);
    JointSet joint(static_cast<std::size_t>(tree.num_calls()), false);
    for (CallIndex v = 1; v < tree.num_calls(); ++v) {
      const bool want = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
      joint[static_cast<std::size_t>(v)] = tree.may_be_joint(v) && (want || !tree.may_be_split(v));
    }
    const CallTreeCost formula = evaluate_calltree(tree, joint);
    const CallTreeSimulation sim = simulate_calltree(tree, joint, trial % 7 == 0);
    ASSERT_EQ(sim.cost.peak, formula.peak) << "trial " << trial;
    ASSERT_EQ(sim.cost.time, formula.time) << "trial " << trial;
    ASSERT_EQ(sim.pushes, sim.pops);
    for (CallIndex v = 0; v < tree.num_calls(); ++v) {
      ASSERT_EQ(sim.record_runs[static_cast<std::size_t>(v)],
                tree.occurrences(v) * tree.iterations(v));
    }
    bool pinned_joint = false;
    for (CallIndex v = 1; v < tree.num_calls(); ++v) pinned_joint |= !tree.may_be_split(v);
    if (!pinned_joint) {
      const CallTreeCost all_split =
          evaluate_calltree(tree, JointSet(static_cast<std::size_t>(tree.num_calls()), false));
      ASSERT_EQ(all_split.time, tree.base_time());
      ASSERT_EQ(all_split.peak, tree.total_tape());
    }
  }
}

// Every assignment that respects the pins, with every snapshot count of every loop with a
// range, with its cost.
std::vector<CallTreeCost> exhaustive(const CallTree& tree) {
  std::vector<CallIndex> free_calls;
  JointSet base(static_cast<std::size_t>(tree.num_calls()), false);
  std::vector<CallIndex> ranged;
  for (CallIndex v = 0; v < tree.num_calls(); ++v) {
    if (tree.loop_has_choice(v)) ranged.push_back(v);
    if (v == 0) continue;
    if (tree.may_be_joint(v) && tree.may_be_split(v)) free_calls.push_back(v);
    if (!tree.may_be_split(v)) base[static_cast<std::size_t>(v)] = true;
  }
  std::vector<CallTreeCost> all;
  std::vector<LoopChoice> choice;
  for (CallIndex v : ranged) choice.push_back({v, tree.loop_min_snapshots(v)});
  while (true) {
    const CallTree chosen = with_loop_snapshots(tree, choice);
    for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << free_calls.size()); ++mask) {
      JointSet joint = base;
      for (std::size_t b = 0; b < free_calls.size(); ++b) {
        joint[static_cast<std::size_t>(free_calls[b])] = ((mask >> b) & 1) != 0;
      }
      all.push_back(evaluate_calltree(chosen, joint));
    }
    // Next combination of snapshot counts (odometer).
    std::size_t i = 0;
    for (; i < choice.size(); ++i) {
      if (choice[i].snapshots < tree.call(choice[i].call).loop->snapshots) {
        ++choice[i].snapshots;
        break;
      }
      choice[i].snapshots = tree.loop_min_snapshots(choice[i].call);
    }
    if (i == choice.size()) break;
  }
  return all;
}

// The Pareto programme and the budget planner equal exhaustive search on random trees with
// loops: the front, the optimum around every front peak, and the smallest feasible budget.
TEST(CallTreeLoop, PlannersEqualExhaustiveSearch) {
  std::mt19937_64 rng(1789);
  for (int trial = 0; trial < 1200; ++trial) {
    const CallTree tree =
        test::with_loops(rng, test::random_calltree(rng, 1 + trial % 10), 30, 6, 5, true);
    std::vector<CallTreeCost> all = exhaustive(tree);
    std::sort(all.begin(), all.end(), [](const CallTreeCost& a, const CallTreeCost& b) {
      return a.time != b.time ? a.time < b.time : a.peak < b.peak;
    });
    std::vector<CallTreeCost> expected;
    for (const CallTreeCost& c : all) {
      if (expected.empty() || c.peak < expected.back().peak) expected.push_back(c);
    }
    const std::vector<CallTreePoint> front = calltree_front(tree);
    ASSERT_EQ(front.size(), expected.size()) << "trial " << trial;
    for (std::size_t i = 0; i < front.size(); ++i) {
      ASSERT_EQ(front[i].time, expected[i].time) << "trial " << trial << " point " << i;
      ASSERT_EQ(front[i].peak, expected[i].peak) << "trial " << trial << " point " << i;
      // The point's own choices reproduce it, by the simulator too.
      const CallTree chosen = with_loop_snapshots(tree, front[i].snapshots);
      const CallTreeSimulation sim = simulate_calltree(chosen, joint_set(tree, front[i].joint));
      ASSERT_EQ(sim.cost.time, front[i].time) << "trial " << trial << " point " << i;
      ASSERT_EQ(sim.cost.peak, front[i].peak) << "trial " << trial << " point " << i;
      std::size_t ranged = 0;
      for (CallIndex v = 0; v < tree.num_calls(); ++v) ranged += tree.loop_has_choice(v) ? 1 : 0;
      ASSERT_EQ(front[i].snapshots.size(), ranged);
    }
    const Bytes min_peak = expected.back().peak;
    std::set<Bytes> budgets{0, min_peak - 1, min_peak};
    for (const CallTreeCost& p : expected) budgets.insert({p.peak - 1, p.peak + 1});
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
        ASSERT_EQ(plan.min_peak, min_peak) << "trial " << trial;
        ASSERT_TRUE(plan.min_peak_exact);
      }
      if (trial % 20 == 0) {
        // The grid heuristic: feasible answers have exact costs, bounds hold.
        CallTreePlanOptions coarse;
        coarse.grid_cells = 2;
        const CallTreePlan grid = plan_calltree_grid(tree, budget, coarse);
        if (grid.feasible) {
          ASSERT_LE(grid.best.peak, budget);
          ASSERT_GE(grid.best.time, best);
        }
        if (best >= 0) {
          ASSERT_LE(grid.time_lower_bound, best);
        }
      }
    }
  }
}

// Long loops are evaluated in O(1) per call with the closed form; the replay is refused up
// front with its size.
TEST(CallTreeLoop, LongLoopFormulaAndRefusedReplay) {
  const CallTree tree = read_calltree_json(R"({"id": "R", "time": 0, "tape_bytes": 0,
      "calls": [{"id": "T", "time": 1, "record_time": 1, "adjoint_time": 1, "tape_bytes": 100,
                 "snapshot_bytes": 8, "loop": {"iterations": 1000000000, "snapshots": 10}}]})");
  EXPECT_EQ(tree.loop_advances(1), revolve_advances(1000000000, 10));
  const CallTreeCost cost = evaluate_calltree(tree, {false, false});
  EXPECT_EQ(cost.peak, 10 * 8 + 100);
  EXPECT_EQ(cost.time, 2e9 + static_cast<double>(revolve_advances(1000000000, 10)));
  EXPECT_THAT(
      [&] {
        simulate_calltree(tree, {false, false});
      },
      ThrowsMessage<std::length_error>(HasSubstr("use evaluate_calltree")));
}

// More slots than iterations: only N - 1 are ever used, whatever S.
TEST(CallTreeLoop, HugeSlotCount) {
  const CallTree tree = read_calltree_json(R"({"id": "R", "time": 1, "tape_bytes": 3,
      "snapshot_bytes": 7, "loop": {"iterations": 5, "snapshots": 1099511627776,
                                    "min_snapshots": 1}})");
  EXPECT_EQ(tree.loop_live_snapshots(0), 4);
  EXPECT_EQ(tree.loop_advances(0), 4);
  const CallTreeSimulation sim = simulate_calltree(tree, {false});
  EXPECT_EQ(sim.cost.peak, 4 * 7 + 3);
  EXPECT_EQ(sim.cost.peak, evaluate_calltree(tree, {false}).peak);
  EXPECT_EQ(sim.cost.time, evaluate_calltree(tree, {false}).time);
  EXPECT_EQ(calltree_front(tree).size(), 4u);  // S = 1, 2, 3 and >= 4
}

TEST(CallTreeLoop, JsonRoundTripAndErrors) {
  const CallTree tree = hand_example();
  const CallTree again = read_calltree_json(json_text(tree));
  ASSERT_TRUE(again.is_loop(1));
  EXPECT_EQ(again.call(1).loop->iterations, 4);
  EXPECT_EQ(again.call(1).loop->snapshots, 2);
  EXPECT_FALSE(again.is_loop(0));
  auto parse = [](const std::string& loop) {
    return read_calltree_json(R"({"id": "R", "time": 1, "loop": )" + loop + "}");
  };
  EXPECT_EQ(parse(R"({"iterations": 3, "snapshots": 1})").loop_advances(0), 3);
  const char* bad[][2] = {
      {R"({"iterations": 0, "snapshots": 1})", "loop.iterations 0 is not an integer"},
      {R"({"iterations": 3, "snapshots": 0})", "loop.snapshots 0 is not an integer"},
      {R"({"iterations": 2199023255553, "snapshots": 1})", "loop.iterations"},
      {R"({"iterations": 18446744073709551615, "snapshots": 1})", "loop.iterations"},
      {R"({"iterations": 2.5, "snapshots": 1})", "loop.iterations"},
      {R"({"iterations": "9", "snapshots": 1})", "loop.iterations"},
      {R"({"snapshots": 1})", "loop.iterations missing"},
      {R"({"iterations": 3, "snapshot": 1})", "unknown key \"loop.snapshot\""},
      {R"([3, 1])", "loop is not an object"},
  };
  for (const auto& b : bad) {
    EXPECT_THAT([&] { parse(b[0]); }, ThrowsMessage<ParseError>(HasSubstr(b[1]))) << b[0];
  }
  // Revolve over 2^40 iterations with one slot needs about 2^79 steps.
  EXPECT_THAT([&] { parse(R"({"iterations": 1099511627776, "snapshots": 1})"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("give more snapshots")));
  // Three nested loops of 2^40 iterations: 2^120 runs of the innermost body.
  const std::string big = R"("loop": {"iterations": 1099511627776, "snapshots": 64})";
  EXPECT_THAT(
      [&] {
        read_calltree_json(R"({"id": "R", "time": 1, )" + big +
                           R"(, "calls": [{"id": "A", "time": 1, )" + big +
                           R"(, "calls": [{"id": "B", "time": 1, )" + big + "}]}]}");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("more than 2^62 times")));
  // Slots times snapshot bytes past 2^62.
  EXPECT_THAT(
      [&] {
        read_calltree_json(R"({"id": "R", "time": 1, "snapshot_bytes": 4611686018427387904,
                               "loop": {"iterations": 5, "snapshots": 4}})");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("exceed 2^62")));
}

// A loop that may use 1 to 4 snapshots: the front trades Revolve's advances for slots.
TEST(CallTreeLoop, SnapshotRange) {
  const CallTree tree = read_calltree_json(R"({"id": "R", "time": 0, "calls": [
      {"id": "T", "time": 1, "record_time": 1, "adjoint_time": 1, "tape_bytes": 10,
       "snapshot_bytes": 100, "loop": {"iterations": 10, "snapshots": 4, "min_snapshots": 1}}]})");
  EXPECT_TRUE(tree.loop_has_choice(1));
  const std::vector<CallTreePoint> front = calltree_front(tree);
  // Times 20 + t(10, S) with t = 45, 20, 15, 14 for S = 1..4; peaks 10 + 100 S.
  ASSERT_EQ(front.size(), 4u);
  const double times[] = {34, 35, 40, 65};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(front[i].time, times[i]);
    EXPECT_EQ(front[i].peak, 10 + 100 * static_cast<Bytes>(4 - i));
    ASSERT_EQ(front[i].snapshots.size(), 1u);
    EXPECT_EQ(front[i].snapshots[0], (LoopChoice{1, static_cast<std::int64_t>(4 - i)}));
  }
  const CallTreePlan plan = plan_calltree(tree, 250);
  EXPECT_EQ(plan.best.time, 40);
  EXPECT_EQ(plan.best.snapshots[0].snapshots, 2);
  EXPECT_THROW(with_loop_snapshots(tree, {{1, 5}}), std::invalid_argument);
  EXPECT_THROW(with_loop_snapshots(tree, {{0, 1}}), std::invalid_argument);
  EXPECT_THROW(with_loop_snapshots(tree, {{7, 1}}), std::out_of_range);
  EXPECT_THAT(
      [] {
        read_calltree_json(R"({"id": "R", "time": 1,
                               "loop": {"iterations": 5, "snapshots": 2, "min_snapshots": 3}})");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("loop min_snapshots 3 is not in [1, 2]")));
  // A huge range is refused by the work limit, not enumerated.
  const CallTree wide = read_calltree_json(R"({"id": "R", "time": 1, "snapshot_bytes": 1,
      "loop": {"iterations": 1099511627776, "snapshots": 1099511627776, "min_snapshots": 64}})");
  EXPECT_THAT([&] { calltree_front(wide); },
              ThrowsMessage<std::length_error>(HasSubstr("choosing the snapshots of loop")));
}

TEST(CallTreeLoop, ProfilerRefusesLoops) {
  const CallTree tree = hand_example();
  EXPECT_THAT([&] { profile_sites(tree, all_joint(tree)); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("loop node 'L'")));
  EXPECT_THAT([&] { recommend_splits(tree, all_joint(tree), 100); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("loop node 'L'")));
}

}  // namespace
}  // namespace memsched
