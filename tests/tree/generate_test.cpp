// Tests of the tree generators: reproducible seeds, shapes, ranges and the harpoon sizes.
#include "memsched/tree/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace memsched {
namespace {

NodeId height(const Tree& tree) {
  std::vector<NodeId> h(static_cast<std::size_t>(tree.num_nodes()), 1);
  NodeId best = 1;
  for (NodeId v : tree.postorder()) {
    const NodeId p = tree.parent(v);
    best = std::max(best, h[static_cast<std::size_t>(v)]);
    if (p >= 0) {
      auto& hp = h[static_cast<std::size_t>(p)];
      hp = std::max(hp, h[static_cast<std::size_t>(v)] + 1);
    }
  }
  return best;
}

TEST(RandomTree, SameSeedSameTree) {
  EXPECT_EQ(random_tree(500, 9), random_tree(500, 9));
  EXPECT_FALSE(random_tree(500, 9) == random_tree(500, 10));
  // Pinned values: the generator must not change silently (tree files and docs depend on it).
  const Tree tree = random_tree(8, 3, {RandomTreeShape::kRecursive, 1, 10, 0, 2, 1, 10});
  EXPECT_EQ(tree.root(), 5);
  EXPECT_EQ(tree.output_size(4), 10);
  EXPECT_EQ(tree.work(2), 6.0);
}

TEST(RandomTree, ShapesAndRanges) {
  RandomTreeOptions options;
  options.min_output = 3;
  options.max_output = 4;
  options.max_exec = 2;
  options.min_work = 0;
  options.max_work = 0;
  options.shape = RandomTreeShape::kDeep;
  const Tree deep = random_tree(3000, 1, options);
  EXPECT_GT(height(deep), 1000);
  for (NodeId v = 0; v < deep.num_nodes(); ++v) {
    EXPECT_GE(deep.output_size(v), 3);
    EXPECT_LE(deep.output_size(v), 4);
    EXPECT_LE(deep.exec_memory(v), 2);
    EXPECT_EQ(deep.work(v), 0.0);
  }
  EXPECT_LT(height(random_tree(3000, 1)), 60);
  options.shape = RandomTreeShape::kPreferential;
  const Tree star_like = random_tree(3000, 1, options);
  NodeId max_degree = 0;
  for (NodeId v = 0; v < star_like.num_nodes(); ++v) {
    max_degree = std::max(max_degree, star_like.num_children(v));
  }
  EXPECT_GT(max_degree, 30);
  EXPECT_EQ(random_tree(1, 5).num_nodes(), 1);
  EXPECT_THROW(random_tree(0, 1), std::invalid_argument);
  options.min_output = 5;
  options.max_output = 4;
  EXPECT_THROW(random_tree(10, 1, options), std::invalid_argument);
}

TEST(HarpoonTree, NodeCounts) {
  EXPECT_EQ(harpoon_tree(2, 0, 4, 1).num_nodes(), 2);
  EXPECT_EQ(harpoon_tree(2, 1, 4, 1).num_nodes(), 7);
  EXPECT_EQ(harpoon_tree(2, 3, 4, 1).num_nodes(), 37);
  EXPECT_EQ(harpoon_tree(3, 2, 6, 1).num_nodes(), 34);
  EXPECT_EQ(harpoon_tree(4, 2, 48, 1).num_nodes(), 57);
  EXPECT_THROW(harpoon_tree(3, 1, 4, 1), std::invalid_argument);  // 4 % 3 != 0
  EXPECT_THROW(harpoon_tree(1, 1, 4, 1), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
