// Tests of the sequential planners: best post-order and the optimal traversals against
// exhaustive search, worked examples, the harpoon formulas and seeded random trees.
#include "memsched/tree/optimal_traversal.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/postorder.hpp"
#include "support/tree_oracle.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

// The reported peak must be the simulator's peak of the returned order.
void expect_consistent(const Tree& tree, const Traversal& t) {
  ASSERT_NO_THROW(check_traversal(tree, t.order, "test"));
  EXPECT_EQ(sequential_peak(tree, t.order), t.peak);
}

TEST(SequentialPlanners, SixNodeExample) {
  const Tree tree = test::six_node_tree();
  EXPECT_EQ(best_postorder(tree).peak, 6);
  EXPECT_EQ(liu_optimal_traversal(tree).peak, 5);
  EXPECT_EQ(minmem_traversal(tree).peak, 5);
  EXPECT_EQ(liu_optimal_traversal(tree).order, (std::vector<NodeId>{5, 3, 4, 2, 1, 0}));
  expect_consistent(tree, best_postorder(tree));
}

TEST(SequentialPlanners, FiveNodeExampleWithTemporaries) {
  const Tree tree = test::five_node_tree();
  EXPECT_EQ(best_postorder(tree).peak, 5);
  EXPECT_EQ(liu_optimal_traversal(tree), (Traversal{{4, 3, 2, 1, 0}, 4}));
  EXPECT_EQ(minmem_traversal(tree), (Traversal{{4, 3, 2, 1, 0}, 4}));
}

TEST(SequentialPlanners, SingleNode) {
  const Tree tree({{-1, 3, 4, 1}});
  EXPECT_EQ(best_postorder(tree), (Traversal{{0}, 7}));
  EXPECT_EQ(liu_optimal_traversal(tree), (Traversal{{0}, 7}));
  EXPECT_EQ(minmem_traversal(tree), (Traversal{{0}, 7}));
}

class Harpoon : public ::testing::TestWithParam<std::tuple<int, int, int, int>> {};

TEST_P(Harpoon, PostOrderAndOptimumFollowTheFormulas) {
  const auto [b, levels, big_factor, epsilon] = GetParam();
  const Memory big = Memory{b} * big_factor;
  const Tree tree = harpoon_tree(b, levels, big, epsilon);
  const Memory bpo = big + epsilon + Memory{levels} * (b - 1) * big / b;
  const Memory opt = big + epsilon + Memory{levels} * (b - 1) * epsilon;
  const Traversal post = best_postorder(tree);
  const Traversal liu = liu_optimal_traversal(tree);
  EXPECT_EQ(post.peak, bpo);
  EXPECT_EQ(liu.peak, opt);
  expect_consistent(tree, post);
  expect_consistent(tree, liu);
  if (tree.num_nodes() <= 2000) {
    EXPECT_EQ(minmem_traversal(tree).peak, opt);
  }
  if (tree.num_nodes() <= 20) {
    EXPECT_EQ(test::brute_force_min_peak(tree), opt);
  }
}

// b in {2,3,4}, K in {1,2,3}, big = b * {4, 10}, epsilon in {1, 3} (the formulas need
// epsilon < big / b); the smallest instance
// (b = 2, K = 1, big = 4, epsilon = 1) gives 7 vs 6.
INSTANTIATE_TEST_SUITE_P(Grid, Harpoon,
                         ::testing::Combine(::testing::Values(2, 3, 4), ::testing::Values(1, 2, 3),
                                            ::testing::Values(4, 10), ::testing::Values(1, 3)));

TEST(SequentialPlanners, SmallestHarpoon) {
  const Tree tree = harpoon_tree(2, 1, 4, 1);
  EXPECT_EQ(tree.num_nodes(), 7);
  EXPECT_EQ(best_postorder(tree).peak, 7);
  EXPECT_EQ(liu_optimal_traversal(tree).peak, 6);
}

struct RandomCase {
  RandomTreeShape shape;
  Memory max_exec;
};

class SmallRandomTrees : public ::testing::TestWithParam<RandomCase> {};

// Liu-87 and MinMem equal the exhaustive minimum; best post-order is never below it and
// equals its own recursion; every order is valid with the reported peak.
TEST_P(SmallRandomTrees, MatchExhaustiveSearch) {
  const RandomCase c = GetParam();
  int suboptimal_postorders = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    RandomTreeOptions options;
    options.shape = c.shape;
    options.max_output = 5;
    options.max_exec = c.max_exec;
    const auto n = static_cast<NodeId>(2 + seed % 14);
    const Tree tree = random_tree(n, seed, options);
    const Memory best = test::brute_force_min_peak(tree);
    const Traversal liu = liu_optimal_traversal(tree);
    const Traversal minmem = minmem_traversal(tree);
    const Traversal post = best_postorder(tree);
    ASSERT_EQ(liu.peak, best) << "seed " << seed;
    ASSERT_EQ(minmem.peak, best) << "seed " << seed;
    ASSERT_GE(post.peak, best) << "seed " << seed;
    expect_consistent(tree, liu);
    expect_consistent(tree, minmem);
    expect_consistent(tree, post);
    if (post.peak > best) ++suboptimal_postorders;
  }
  // The recursive shape must produce some trees where post-orders lose, or the comparison
  // above tests nothing.
  if (c.shape == RandomTreeShape::kRecursive) {
    EXPECT_GT(suboptimal_postorders, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SmallRandomTrees,
                         ::testing::Values(RandomCase{RandomTreeShape::kRecursive, 0},
                                           RandomCase{RandomTreeShape::kRecursive, 4},
                                           RandomCase{RandomTreeShape::kPreferential, 0},
                                           RandomCase{RandomTreeShape::kDeep, 3}));

TEST(SequentialPlanners, LargeTreesStayConsistent) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    RandomTreeOptions options;
    options.max_output = 1000;
    options.max_exec = 100;
    const Tree tree = random_tree(100000, seed, options);
    const Traversal liu = liu_optimal_traversal(tree);
    const Traversal post = best_postorder(tree);
    expect_consistent(tree, liu);
    expect_consistent(tree, post);
    EXPECT_LE(liu.peak, post.peak);
  }
  std::vector<TreeNode> chain(200000);
  for (std::size_t i = 0; i < chain.size(); ++i)
    chain[i] = {NodeId(i) - 1, 1 + Memory(i % 7), 0, 1};
  const Tree deep(std::move(chain));
  expect_consistent(deep, liu_optimal_traversal(deep));
  expect_consistent(deep, best_postorder(deep));
}

TEST(SequentialPlanners, IoPostorderWithoutBindingCapIsBestPostorder) {
  const Tree tree = random_tree(300, 5);
  EXPECT_EQ(io_postorder(tree, best_postorder(tree).peak), best_postorder(tree));
  expect_consistent(tree, io_postorder(tree, 3));
  EXPECT_THROW(io_postorder(tree, -1), std::invalid_argument);
}

TEST(SequentialPlanners, MinMemRefusesVeryTallTrees) {
  std::vector<TreeNode> chain(static_cast<std::size_t>(kMinMemMaxHeight) + 1);
  for (std::size_t i = 0; i < chain.size(); ++i) chain[i] = {NodeId(i) - 1, 1, 0, 1};
  EXPECT_THROW(minmem_traversal(Tree(std::move(chain))), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
