// Tests of the StarPU adapter: the gate holds the bound on a real runtime and never hangs.
#include "memsched/tree/starpu_runtime.hpp"

#include <gtest/gtest.h>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"

namespace memsched {
namespace {

TEST(StarpuRuntime, HarpoonStaysWithinTheOptimum) {
  if (!have_starpu()) GTEST_SKIP() << "built without StarPU";
  const Tree tree = harpoon_tree(4, 2, 48, 1);  // n = 57, OPT 55, best post-order 121
  StarpuOptions options;
  options.memory_bound = 55;
  const StarpuReport gated = execute_with_starpu(tree, options);
  EXPECT_TRUE(gated.completed);
  EXPECT_EQ(gated.tasks_run, 57);
  EXPECT_LE(gated.peak, 55);
  // Without the gate StarPU runs ready tasks as it likes: the same tree needs far more.
  options.gate = false;
  const StarpuReport free_run = execute_with_starpu(tree, options);
  EXPECT_TRUE(free_run.completed);
  EXPECT_GT(free_run.peak, 55);
}

TEST(StarpuRuntime, RandomTreesAtTheirOrdersPeak) {
  if (!have_starpu()) GTEST_SKIP() << "built without StarPU";
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    RandomTreeOptions random;
    random.max_output = 20;
    random.max_exec = seed % 2 == 0 ? 10 : 0;
    const Tree tree = random_tree(static_cast<NodeId>(50 + 20 * seed), seed, random);
    StarpuOptions options;
    options.workers = 1 + static_cast<std::int64_t>(seed % 2);  // the CI machine has 2 cores
    options.activation_order =
        seed % 2 == 0 ? liu_optimal_traversal(tree).order : best_postorder(tree).order;
    options.memory_bound = sequential_peak(tree, options.activation_order);
    const StarpuReport report = execute_with_starpu(tree, options);
    EXPECT_TRUE(report.completed) << "seed " << seed;
    EXPECT_LE(report.peak, options.memory_bound) << "seed " << seed;
  }
}

TEST(StarpuRuntime, GivesUpInsteadOfHangingBelowTheLargestTask) {
  if (!have_starpu()) GTEST_SKIP() << "built without StarPU";
  const Tree tree({{-1, 1, 4, 1}, {0, 2, 0, 1}, {0, 3, 0, 1}});  // the root needs 10
  StarpuOptions options;
  options.memory_bound = 9;
  const StarpuReport report = execute_with_starpu(tree, options);
  EXPECT_FALSE(report.completed);
  EXPECT_EQ(report.tasks_run, 2);
  options.workers = 0;
  EXPECT_THROW(execute_with_starpu(tree, options), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
