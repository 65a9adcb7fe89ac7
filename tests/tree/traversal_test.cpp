// Tests of the sequential simulator: exact peaks and rejection of non-traversals.
#include "memsched/tree/traversal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/tree_oracle.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;

TEST(SequentialPeak, SixNodeOrders) {
  const Tree tree = test::six_node_tree();  // ids: A0 B1 C2 D3 E4 F5
  EXPECT_EQ(memory_profile(tree, {5, 3, 1, 4, 2, 0}), (std::vector<Memory>{3, 4, 3, 4, 6, 5}));
  EXPECT_EQ(sequential_peak(tree, {5, 3, 1, 4, 2, 0}), 6);
  EXPECT_EQ(sequential_peak(tree, {4, 2, 5, 3, 1, 0}), 6);
  EXPECT_EQ(memory_profile(tree, {5, 3, 4, 2, 1, 0}), (std::vector<Memory>{3, 4, 3, 5, 5, 5}));
}

TEST(SequentialPeak, HistogramsOfTheWorkedExamples) {
  EXPECT_EQ(test::peak_histogram(test::six_node_tree()),
            (std::map<Memory, std::int64_t>{{5, 1}, {6, 7}, {7, 2}}));
  EXPECT_EQ(test::peak_histogram(test::five_node_tree()),
            (std::map<Memory, std::int64_t>{{4, 1}, {5, 3}}));
  EXPECT_EQ(sequential_peak(test::five_node_tree(), {4, 3, 2, 1, 0}), 4);
}

TEST(SequentialPeak, RejectsNonTraversals) {
  const Tree tree = test::six_node_tree();
  EXPECT_THROW(sequential_peak(tree, {5, 3, 1}), std::invalid_argument);
  EXPECT_THROW(sequential_peak(tree, {5, 3, 1, 4, 2, 9}), std::invalid_argument);
  EXPECT_THROW(sequential_peak(tree, {5, 3, 1, 4, 4, 0}), std::invalid_argument);
  try {
    sequential_peak(tree, {3, 5, 1, 4, 2, 0});
    FAIL() << "D before its child F was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("order[0] = 3 runs before its children"));
  }
}

TEST(SequentialPeak, TemporariesCountOnlyWhileRunning) {
  const Tree tree({{-1, 1, 10, 1}, {0, 2, 5, 1}});
  EXPECT_EQ(memory_profile(tree, {1, 0}), (std::vector<Memory>{7, 13}));
}

}  // namespace
}  // namespace memsched
