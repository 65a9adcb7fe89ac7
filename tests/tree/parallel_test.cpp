// Tests of the parallel simulator, the list heuristics and the memory-bounded scheduler:
// hand-checked cases and thousands of seeded random runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/list_scheduling.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;

// Root 0 with two leaves 1 and 2 (f = 2, 3, work 1 and 2), root f = 1, m = 4, work 1.
Tree fork() { return Tree({{-1, 1, 4, 1}, {0, 2, 0, 1}, {0, 3, 0, 2}}); }

TEST(SimulateParallel, MeasuresMemoryWithTheTieRule) {
  const Tree tree = fork();
  // Leaves in parallel on two processors, root at 2 when leaf 2 ends.
  const ParallelReport r = simulate_parallel(tree, {{2, 3, 0}, {0, 1, 0}, {0, 2, 1}}, 2);
  EXPECT_EQ(r.makespan, 3.0);
  EXPECT_EQ(r.peak, 10);  // 2 + 3 resident, then the root adds m + f = 5
  ASSERT_EQ(r.timeline.size(), 4u);
  EXPECT_EQ(r.timeline[0].memory, 5);
  EXPECT_EQ(r.timeline[2].memory, 10);
  EXPECT_EQ(r.timeline[3].memory, 1);  // the root's output stays
}

TEST(SimulateParallel, CompletionsBeforeStartsAtEqualTimes) {
  // Chain 2 -> 1 -> 0 of outputs 5, 5, 1 on one processor: child's inputs leave before the
  // parent adds its own, so the peak is 10 (f_2 + f_1), never 15.
  const Tree chain({{-1, 1, 0, 1}, {0, 5, 0, 1}, {1, 5, 0, 1}});
  EXPECT_EQ(simulate_parallel(chain, {{2, 3, 0}, {1, 2, 0}, {0, 1, 0}}, 1).peak, 10);
  // Zero-work tasks start and end at once, children first.
  const Tree zero({{-1, 1, 0, 0}, {0, 5, 0, 0}, {1, 5, 0, 0}});
  EXPECT_EQ(simulate_parallel(zero, {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}}, 1).peak, 10);
}

TEST(SimulateParallel, RejectsIllegalSchedules) {
  const Tree tree = fork();
  auto error = [&](std::vector<TaskRun> runs, std::int64_t p = 2) -> std::string {
    try {
      simulate_parallel(tree, runs, p);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_THAT(error({{2, 3, 0}, {0, 1, 0}}), HasSubstr("2 runs for 3 nodes"));
  EXPECT_THAT(error({{2, 3, 0}, {0, 1, 0}, {0, 2, 2}}), HasSubstr("processor 2 out of range"));
  EXPECT_THAT(error({{1, 2, 0}, {0, 1, 0}, {0, 2, 1}}), HasSubstr("before its child 2"));
  EXPECT_THAT(error({{2, 3, 0}, {0, 1, 0}, {0, 2, 0}}), HasSubstr("overlaps"));
  EXPECT_THAT(error({{2, 3, 0}, {0, 1.5, 0}, {0, 2, 1}}), HasSubstr("!= start + work"));
  EXPECT_THAT(error({{2, 3, 0}, {-1, 0, 0}, {0, 2, 1}}), HasSubstr("bad start"));
  EXPECT_THAT(error({{2, 3, 0}, {0, 1, 0}, {0, 2, 1}}, 0), HasSubstr("processors 0"));
}

TEST(MemoryBounded, OneProcessorRunsTheActivationOrder) {
  const Tree tree = test::six_node_tree();
  MemoryBoundedOptions options;
  options.priority = ExecutionPriority::kActivationOrder;
  for (const Traversal& t : {liu_optimal_traversal(tree), best_postorder(tree)}) {
    options.activation_order = t.order;
    const auto s = memory_bounded_schedule(tree, 1, t.peak, options);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->peak, t.peak);
    std::vector<NodeId> by_start = t.order;
    std::sort(by_start.begin(), by_start.end(), [&](NodeId a, NodeId b) {
      return s->runs[static_cast<std::size_t>(a)].start <
             s->runs[static_cast<std::size_t>(b)].start;
    });
    EXPECT_EQ(by_start, t.order);
  }
}

TEST(MemoryBounded, Thm2TreeTradesMemoryForTime) {
  // TOPC'15 Thm 2: root, m = 6 children with 6 leaves each, unit sizes and work.
  std::vector<TreeNode> nodes{{-1, 1, 0, 1}};
  for (NodeId c = 0; c < 6; ++c) {
    const auto child = static_cast<NodeId>(nodes.size());
    nodes.push_back({0, 1, 0, 1});
    for (int l = 0; l < 6; ++l) nodes.push_back({child, 1, 0, 1});
  }
  const Tree tree(std::move(nodes));
  const Memory optimum = liu_optimal_traversal(tree).peak;
  EXPECT_EQ(optimum, 12);  // 2m: five outputs of finished children plus six leaves + 1
  EXPECT_EQ(par_deepest_first(tree, 36).makespan, 3.0);
  EXPECT_GE(par_deepest_first(tree, 36).peak, 36);
  const auto tight = memory_bounded_schedule(tree, 36, optimum);
  ASSERT_TRUE(tight.has_value());
  EXPECT_LE(tight->peak, optimum);
  const auto loose = memory_bounded_schedule(tree, 36, 40);
  ASSERT_TRUE(loose.has_value());
  EXPECT_LE(loose->peak, 40);
  EXPECT_LT(loose->makespan, tight->makespan);
}

TEST(MemoryBounded, RejectsBadArguments) {
  const Tree tree = fork();
  EXPECT_THROW(memory_bounded_schedule(tree, 0, 10), std::invalid_argument);
  EXPECT_THROW(memory_bounded_schedule(tree, 1, -1), std::invalid_argument);
  MemoryBoundedOptions options;
  options.activation_order = {0, 1, 2};
  EXPECT_THROW(memory_bounded_schedule(tree, 1, 10, options), std::invalid_argument);
  EXPECT_FALSE(memory_bounded_schedule(tree, 2, 9).has_value());  // the root alone needs 10
}

// A random topological order: repeatedly run a uniformly chosen ready node.
std::vector<NodeId> random_traversal(const Tree& tree, std::mt19937_64& rng) {
  std::vector<NodeId> waiting(static_cast<std::size_t>(tree.num_nodes()));
  std::vector<NodeId> ready, order;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) {
    waiting[static_cast<std::size_t>(v)] = tree.num_children(v);
    if (tree.num_children(v) == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    std::swap(ready[rng() % ready.size()], ready.back());
    const NodeId v = ready.back();
    ready.pop_back();
    order.push_back(v);
    const NodeId p = tree.parent(v);
    if (p >= 0 && --waiting[static_cast<std::size_t>(p)] == 0) ready.push_back(p);
  }
  return order;
}

// 6,000 runs: random trees of three shapes (zero work and temporaries included), three
// activation orders, bounds from the order's sequential peak up, p in {1, 2, 3, 4, 8},
// both execution priorities. The schedule must exist, be legal for the independent
// simulator, stay within the bound, and respect the makespan lower bound.
TEST(MemoryBounded, NeverExceedsTheBoundAndNeverDeadlocks) {
  std::mt19937_64 rng(2024);
  const RandomTreeShape shapes[] = {RandomTreeShape::kRecursive, RandomTreeShape::kPreferential,
                                    RandomTreeShape::kDeep};
  const std::int64_t procs[] = {1, 2, 3, 4, 8};
  int runs = 0;
  int deadlocks_below = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    RandomTreeOptions options;
    options.shape = shapes[seed % 3];
    options.max_output = 20;
    options.max_exec = (seed % 2 == 0) ? 10 : 0;
    options.min_work = (seed % 5 == 0) ? 0 : 1;
    const Tree tree = random_tree(static_cast<NodeId>(1 + seed % 120), seed, options);
    const std::vector<NodeId> orders[] = {liu_optimal_traversal(tree).order,
                                          best_postorder(tree).order, random_traversal(tree, rng)};
    for (const auto& order : orders) {
      const Memory peak = sequential_peak(tree, order);
      for (const Memory bound : {peak, peak + peak / 4, 2 * peak}) {
        for (std::int64_t p : procs) {
          MemoryBoundedOptions mb;
          mb.activation_order = order;
          mb.priority = (runs % 2 == 0) ? ExecutionPriority::kCriticalPath
                                        : ExecutionPriority::kActivationOrder;
          const auto s = memory_bounded_schedule(tree, p, bound, mb);
          ++runs;
          ASSERT_TRUE(s.has_value()) << "seed " << seed << " p " << p << " bound " << bound;
          const ParallelReport r = simulate_parallel(tree, s->runs, p, s->start_order);
          ASSERT_LE(r.peak, bound) << "seed " << seed << " p " << p;
          ASSERT_EQ(r.peak, s->peak);
          ASSERT_GE(r.makespan, makespan_lower_bound(tree, p) * (1 - 1e-12));
          if (bound > 0) {
            ASSERT_GE(r.makespan, makespan_lower_bound(tree, p, bound) * (1 - 1e-12));
          }
        }
      }
      // Below the order's peak the scheduler may give up, but never exceeds the bound.
      const auto below = memory_bounded_schedule(tree, 2, peak - 1);
      if (below) {
        ASSERT_LE(below->peak, peak - 1);
      } else {
        ++deadlocks_below;
      }
    }
  }
  EXPECT_EQ(runs, 300 * 3 * 3 * 5);
  EXPECT_GT(deadlocks_below, 0);
}

TEST(ListHeuristics, LegalAndAboveTheLowerBounds) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    RandomTreeOptions options;
    options.shape = seed % 2 ? RandomTreeShape::kRecursive : RandomTreeShape::kPreferential;
    options.max_exec = 5;
    options.min_work = seed % 4 == 0 ? 0 : 1;
    const Tree tree = random_tree(static_cast<NodeId>(1 + seed * 3), seed, options);
    const Memory optimum = liu_optimal_traversal(tree).peak;
    for (std::int64_t p : {1, 2, 4, 16}) {
      const double lower = makespan_lower_bound(tree, p);
      for (const ParallelSchedule& s : {par_inner_first(tree, p), par_deepest_first(tree, p),
                                        par_subtrees(tree, p), proportional_mapping(tree, p)}) {
        const ParallelReport r = simulate_parallel(tree, s.runs, p, s.start_order);
        EXPECT_EQ(r.peak, s.peak);
        EXPECT_EQ(r.makespan, s.makespan);
        EXPECT_GE(s.makespan, lower * (1 - 1e-12));
        EXPECT_GE(s.peak, optimum);
        if (p == 1) {
          EXPECT_DOUBLE_EQ(s.makespan, tree.total_work());
        }
      }
      // ParSubtrees runs each subtree with its optimal order: at most p times the optimum.
      EXPECT_LE(par_subtrees(tree, p).peak, p * optimum) << "seed " << seed << " p " << p;
    }
    EXPECT_EQ(par_subtrees(tree, 1).peak, optimum);
  }
}

TEST(ListHeuristics, MemoryTimeAreaBound) {
  const Tree tree = fork();  // MemReq: root 10 (w 1), leaves 2 (w 1) and 3 (w 2)
  EXPECT_DOUBLE_EQ(makespan_lower_bound(tree, 8), 3.0);
  EXPECT_DOUBLE_EQ(makespan_lower_bound(tree, 8, 2), (10.0 + 2.0 + 6.0) / 2);
  EXPECT_THROW(makespan_lower_bound(tree, 8, 0), std::invalid_argument);
}

TEST(ListHeuristics, DeepestFirstFollowsTheCriticalPath) {
  // A chain of three under the root and three single leaves: with 2 processors the chain
  // must start first for the makespan to reach the critical path.
  const Tree tree({{-1, 1, 0, 1},
                   {0, 1, 0, 1},
                   {1, 1, 0, 1},
                   {2, 1, 0, 1},
                   {0, 1, 0, 1},
                   {0, 1, 0, 1},
                   {0, 1, 0, 1}});
  EXPECT_EQ(critical_path(tree), 4.0);
  EXPECT_EQ(par_deepest_first(tree, 2).makespan, 4.0);
}

TEST(ListHeuristics, ProportionalIntervals) {
  // Root with children of subtree work 3 and 1 on 4 processors: [0, 3) and [3, 4).
  const Tree tree({{-1, 1, 0, 0}, {0, 1, 0, 1}, {1, 1, 0, 1}, {1, 1, 0, 1}, {0, 1, 0, 1}});
  const auto intervals = proportional_intervals(tree, 4);
  EXPECT_EQ(intervals[0].first, 0);
  EXPECT_EQ(intervals[0].last, 3);
  EXPECT_EQ(intervals[1].first, 0);
  EXPECT_EQ(intervals[1].last, 2);
  EXPECT_EQ(intervals[4].first, 3);
  EXPECT_EQ(intervals[4].last, 3);
  EXPECT_EQ(intervals[2].first, 0);
  EXPECT_EQ(intervals[2].last, 1);   // [0, 1.5)
  EXPECT_EQ(intervals[3].first, 1);  // [1.5, 3)
  EXPECT_EQ(intervals[3].last, 2);
}

// Two leaves of execution memory 5 under a root (every f = 1, w = 1): run in parallel they
// need 6 + 6 = 12, one after the other 7 (the sequential optimum).
Tree two_heavy_leaves() { return Tree({{-1, 1, 0, 1}, {0, 1, 5, 1}, {0, 1, 5, 1}}); }

TEST(TreeMappings, MemoryAwareWorkedExample) {
  const Tree tree = two_heavy_leaves();
  ASSERT_EQ(liu_optimal_traversal(tree).peak, 7);
  // Proportional mapping: one leaf per processor, both at time 0.
  const ParallelSchedule prop = proportional_mapping(tree, 2);
  EXPECT_EQ(prop.peak, 12);
  EXPECT_EQ(prop.makespan, 2.0);
  // M = 8, M0 = 4: a leaf on one processor needs 6 / 1 > 4, so both are serialised on the
  // whole group [0, 1], and the gate runs them one after the other.
  const auto serialised = memory_aware_intervals(tree, 2, 8);
  for (NodeId v : {1, 2}) {
    EXPECT_EQ(serialised[static_cast<std::size_t>(v)].first, 0);
    EXPECT_EQ(serialised[static_cast<std::size_t>(v)].last, 1);
  }
  const auto tight = memory_aware_mapping(tree, 2, 8);
  ASSERT_TRUE(tight.has_value());
  EXPECT_EQ(tight->peak, 7);
  EXPECT_EQ(tight->makespan, 3.0);
  // M = 12, M0 = 6: 6 / 1 <= 6, the proportional shares stand and so does the parallelism.
  const auto proportional = proportional_intervals(tree, 2);
  const auto loose = memory_aware_intervals(tree, 2, 12);
  for (NodeId v = 0; v < 3; ++v) {
    EXPECT_EQ(loose[static_cast<std::size_t>(v)].first,
              proportional[static_cast<std::size_t>(v)].first);
    EXPECT_EQ(loose[static_cast<std::size_t>(v)].last,
              proportional[static_cast<std::size_t>(v)].last);
  }
  const auto wide = memory_aware_mapping(tree, 2, 12);
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(wide->peak, 12);
  EXPECT_EQ(wide->makespan, 2.0);
  // Below the sequential optimum no schedule fits.
  EXPECT_FALSE(memory_aware_mapping(tree, 2, 6).has_value());
  // All-to-all: the sequential optimum, tasks back to back.
  const ParallelSchedule all = all_to_all_mapping(tree, 2);
  EXPECT_EQ(all.peak, 7);
  EXPECT_EQ(all.makespan, 3.0);
}

TEST(TreeMappings, MemoryAwareWithoutABoundIsProportional) {
  // With an unreachable bound no child is serialised and the gate never blocks, so the
  // memory-aware mapping reproduces proportional mapping run for run.
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const Tree tree = random_tree(static_cast<NodeId>(2 + seed * 5), seed, RandomTreeOptions{});
    for (std::int64_t p : {2, 5}) {
      const ParallelSchedule prop = proportional_mapping(tree, p);
      const auto aware = memory_aware_mapping(tree, p, kMaxTotalMemory);
      ASSERT_TRUE(aware.has_value());
      EXPECT_EQ(aware->start_order, prop.start_order) << "seed " << seed << " p " << p;
      EXPECT_EQ(aware->peak, prop.peak);
      EXPECT_EQ(aware->makespan, prop.makespan);
    }
  }
}

TEST(TreeMappings, RejectBadArguments) {
  const Tree tree = two_heavy_leaves();
  EXPECT_THROW(all_to_all_mapping(tree, 0), std::invalid_argument);
  EXPECT_THROW(memory_aware_mapping(tree, 0, 10), std::invalid_argument);
  EXPECT_THROW(memory_aware_mapping(tree, 2, -1), std::invalid_argument);
  EXPECT_THROW(memory_aware_intervals(tree, 2, -1), std::invalid_argument);
}

TEST(TreeMappings, SeededRandomTrees) {
  int serialised_runs = 0;
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    RandomTreeOptions options;
    options.shape = seed % 2 ? RandomTreeShape::kRecursive : RandomTreeShape::kPreferential;
    options.max_exec = 5;
    options.min_work = seed % 4 == 0 ? 0 : 1;
    const Tree tree = random_tree(static_cast<NodeId>(1 + seed * 3), seed, options);
    const Memory optimum = liu_optimal_traversal(tree).peak;
    for (std::int64_t p : {1, 2, 3, 8}) {
      // All-to-all: sequential optimal traversal on valid processors, replayable.
      const ParallelSchedule all = all_to_all_mapping(tree, p);
      const ParallelReport ra = simulate_parallel(tree, all.runs, p, all.start_order);
      EXPECT_EQ(ra.peak, optimum) << "seed " << seed << " p " << p;
      EXPECT_EQ(all.peak, optimum);
      EXPECT_NEAR(all.makespan, tree.total_work(), 1e-9 * (1 + tree.total_work()));
      const auto prop = proportional_intervals(tree, p);
      for (Memory bound : {optimum, optimum + optimum / 4, 2 * optimum, 4 * optimum}) {
        const auto intervals = memory_aware_intervals(tree, p, bound);
        const auto s = memory_aware_mapping(tree, p, bound);
        // The paper's guarantee: a schedule within the bound whenever it is >= M_seq.
        ASSERT_TRUE(s.has_value()) << "seed " << seed << " p " << p << " bound " << bound;
        const ParallelReport r = simulate_parallel(tree, s->runs, p, s->start_order);
        EXPECT_EQ(r.peak, s->peak);
        EXPECT_EQ(r.makespan, s->makespan);
        EXPECT_LE(s->peak, bound) << "seed " << seed << " p " << p;
        EXPECT_GE(s->makespan, makespan_lower_bound(tree, p) * (1 - 1e-12));
        for (NodeId v = 0; v < tree.num_nodes(); ++v) {
          const auto vi = static_cast<std::size_t>(v);
          const ProcessorInterval& i = intervals[vi];
          ASSERT_LE(0, i.first);
          ASSERT_LE(i.first, i.last);
          ASSERT_LT(i.last, p);
          EXPECT_GE(s->runs[vi].processor, i.first);
          EXPECT_LE(s->runs[vi].processor, i.last);
          if (i.first != prop[vi].first || i.last != prop[vi].last) ++serialised_runs;
        }
      }
      // Below the sequential optimum: never above the bound when a schedule is returned.
      if (optimum > 0) {
        const auto below = memory_aware_mapping(tree, p, optimum - 1);
        if (below) {
          EXPECT_LE(below->peak, optimum - 1);
        }
      }
    }
  }
  EXPECT_GT(serialised_runs, 0);  // the memory check does change groups on these trees
}

}  // namespace
}  // namespace memsched
