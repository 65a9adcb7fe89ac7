// Tests of the SVG pictures: well-formed documents with one mark per node and the peak.
#include "memsched/tree/svg.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/list_scheduling.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(TreeSvg, TraversalPicture) {
  const Tree tree = test::six_node_tree();
  std::ostringstream out;
  write_traversal_svg(out, tree, liu_optimal_traversal(tree));
  const std::string svg = out.str();
  EXPECT_THAT(svg, StartsWith("<svg "));
  EXPECT_THAT(svg, EndsWith("</svg>\n"));
  EXPECT_EQ(count(svg, "<circle"), 6u);
  EXPECT_THAT(svg, HasSubstr("peak 5"));
  std::ostringstream big;
  const Tree large = random_tree(kMaxSvgTreeNodes + 1, 1);
  write_traversal_svg(big, large, liu_optimal_traversal(large));
  EXPECT_EQ(count(big.str(), "<circle"), 0u);  // too big to draw: memory plot only
  EXPECT_THROW(write_traversal_svg(out, tree, Traversal{{0}, 1}), std::invalid_argument);
}

TEST(TreeSvg, ParallelPicture) {
  const Tree tree = test::six_node_tree();
  const ParallelSchedule schedule = par_deepest_first(tree, 2);
  std::ostringstream out;
  write_parallel_svg(out, tree, schedule, 2, 7);
  const std::string svg = out.str();
  EXPECT_EQ(count(svg, "<rect") - 1, 6u);  // one bar per task, plus the plot frame
  EXPECT_THAT(svg, HasSubstr("bound 7"));
  EXPECT_THAT(svg, EndsWith("</svg>\n"));
}

}  // namespace
}  // namespace memsched
