// Tests of the tree model: validation at the boundary and derived structure.
#include "memsched/tree/tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "tree/examples.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;

std::string construction_error(std::vector<TreeNode> nodes) {
  try {
    Tree tree(std::move(nodes));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Tree, DerivedStructure) {
  const Tree tree = test::six_node_tree();
  EXPECT_EQ(tree.num_nodes(), 6);
  EXPECT_EQ(tree.root(), 0);
  EXPECT_EQ(tree.num_children(0), 2);
  EXPECT_EQ(tree.children_output(0), 4);
  EXPECT_EQ(tree.mem_req(0), 5);
  EXPECT_EQ(tree.mem_req(5), 3);
  EXPECT_EQ(tree.postorder(), (std::vector<NodeId>{5, 3, 1, 4, 2, 0}));
  EXPECT_EQ(tree.total_work(), 6.0);
  EXPECT_EQ(Tree(tree.nodes()), tree);
}

TEST(Tree, RejectsBadInput) {
  EXPECT_THAT(construction_error({}), HasSubstr("no nodes"));
  EXPECT_THAT(construction_error({{-1, 1, 0, 1}, {-1, 1, 0, 1}}), HasSubstr("second root"));
  EXPECT_THAT(construction_error({{1, 1, 0, 1}, {0, 1, 0, 1}}), HasSubstr("no root"));
  EXPECT_THAT(construction_error({{-1, 1, 0, 1}, {2, 1, 0, 1}, {1, 1, 0, 1}}), HasSubstr("cycle"));
  EXPECT_THAT(construction_error({{-1, 1, 0, 1}, {1, 1, 0, 1}}), HasSubstr("own parent"));
  EXPECT_THAT(construction_error({{-1, 1, 0, 1}, {7, 1, 0, 1}}), HasSubstr("out of range"));
  EXPECT_THAT(construction_error({{-1, -1, 0, 1}}), HasSubstr("negative output"));
  EXPECT_THAT(construction_error({{-1, 1, -2, 1}}), HasSubstr("negative exec"));
  EXPECT_THAT(construction_error({{-1, 1, 0, std::numeric_limits<double>::infinity()}}),
              HasSubstr("work"));
  EXPECT_THAT(construction_error({{-1, 1, 0, std::numeric_limits<double>::quiet_NaN()}}),
              HasSubstr("work"));
  EXPECT_THAT(construction_error({{-1, kMaxTotalMemory, 0, 1}, {0, 1, 0, 1}}), HasSubstr("2^62"));
}

TEST(Tree, DeepChainHasNoRecursion) {
  std::vector<TreeNode> nodes(1000000);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    nodes[i] = {static_cast<NodeId>(i) - 1, 1, 0, 1.0};
  }
  const Tree tree(std::move(nodes));
  EXPECT_EQ(tree.postorder().front(), 999999);
  EXPECT_EQ(tree.postorder().back(), 0);
}

}  // namespace
}  // namespace memsched
