// Tests of sparse patterns and assembly trees (CHOLMOD cases run when it was found).
#include "memsched/tree/assembly_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "memsched/errors.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/postorder.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;

std::string mm_error(const std::string& text) {
  try {
    read_matrix_market(text);
  } catch (const ParseError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "undocumented exception " << e.what();
  }
  return "ok";
}

TEST(MatrixMarket, ReadsAndSymmetrises) {
  const SparsePattern p = read_matrix_market(
      "%%MatrixMarket matrix coordinate real general\n% comment\n3 3 3\n1 1 4.0\n3 1 -1\n2 3 "
      "1e-3\n");
  EXPECT_EQ(p.num_rows, 3);
  EXPECT_EQ(p.column_start, (std::vector<std::int64_t>{0, 2, 4, 7}));
  EXPECT_EQ(p.row_index, (std::vector<std::int64_t>{0, 2, 1, 2, 0, 1, 2}));
  EXPECT_EQ(read_matrix_market("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 1\n2 1\n")
                .num_nonzeros(),
            4);
}

TEST(MatrixMarket, HostileInput) {
  EXPECT_THAT(mm_error(""), HasSubstr("empty file"));
  EXPECT_THAT(mm_error("%%MatrixMarket matrix array real general\n2 2\n"), HasSubstr("coordinate"));
  EXPECT_THAT(mm_error("%%MatrixMarket matrix coordinate real general\n2 3 0\n"),
              HasSubstr("not square"));
  EXPECT_THAT(
      mm_error("%%MatrixMarket matrix coordinate real general\n9999999999999 9999999999999 1\n"),
      HasSubstr("not in [1, 10^8]"));
  EXPECT_THAT(mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1000000000000\n1 1 1\n"),
              HasSubstr("entries promised"));
  EXPECT_THAT(
      mm_error("%%MatrixMarket matrix coordinate real general\n99999999 99999999 1\n1 1 1\n"),
      HasSubstr("empty rows per entry"));
  EXPECT_THAT(mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n"),
              HasSubstr("outside 1..2"));
  EXPECT_THAT(mm_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n"),
              HasSubstr("expected 3 fields"));
  std::mt19937_64 rng(5);
  const std::string valid =
      "%%MatrixMarket matrix coordinate real symmetric\n4 4 4\n1 1 1\n2 1 1\n3 2 1\n4 4 2\n";
  for (int round = 0; round < 2000; ++round) {
    std::string text = valid.substr(0, rng() % (valid.size() + 1));
    if (round % 2 == 0 && !text.empty()) text[rng() % text.size()] = "0123456789 -%\nx"[rng() % 15];
    mm_error(text);  // must not crash or throw anything undocumented
  }
}

// A 3 x 3 unsymmetric pattern in Harwell-Boeing form: columns {1,3}, {2}, {2,3}.
const char* const kHarwellBoeing =
    "tiny test matrix                                                        TINY    \n"
    "             4             1             1             2             0\n"
    "RUA                        3             3             5             0\n"
    "(4I3)           (5I2)           (5E15.8)            (5E15.8)            \n"
    "  1  3  4  6\n"
    " 1 3 2 2 3\n"
    "1.0 2.0 3.0 4.0 5.0\n";

TEST(HarwellBoeing, ReadsFixedWidthFields) {
  const SparsePattern p = read_sparse_pattern(kHarwellBoeing);
  EXPECT_EQ(p.num_rows, 3);
  EXPECT_EQ(p.column_start, (std::vector<std::int64_t>{0, 2, 4, 7}));
  EXPECT_EQ(p.row_index, (std::vector<std::int64_t>{0, 2, 1, 2, 0, 1, 2}));
  const std::string text = kHarwellBoeing;
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    try {
      read_harwell_boeing(text.substr(0, cut));
    } catch (const ParseError&) {
    }
  }
  std::string bad = text;
  bad.replace(bad.find(" 1 3 2 2 3"), 10, " 1 9 2 2 3");
  EXPECT_THROW(read_harwell_boeing(bad), ParseError);
}

TEST(GridLaplacian, Patterns) {
  const SparsePattern p = grid_laplacian(2, 3, 2, 1, 5);
  EXPECT_EQ(p.num_rows, 6);
  EXPECT_EQ(p.num_nonzeros(), 6 + 2 * 7);  // diagonal + both triangles of the 7 grid edges
  EXPECT_EQ(grid_laplacian(3, 2, 2, 2, 27).num_nonzeros(), 64);  // dense 8 x 8
  EXPECT_THROW(grid_laplacian(2, 3, 3, 1, 7), std::invalid_argument);
  EXPECT_THROW(grid_laplacian(3, 0, 3, 3, 7), std::invalid_argument);
  EXPECT_THROW(grid_laplacian(3, 100000, 100000, 100000, 7), std::invalid_argument);
}

TEST(AssemblyTree, TridiagonalIsAChain) {
  if (!have_cholmod()) GTEST_SKIP() << "built without CHOLMOD";
  AssemblyTreeOptions options;
  options.ordering = Ordering::kNatural;
  options.amalgamation = Amalgamation::kNone;
  const Tree tree = assembly_tree(grid_laplacian(2, 6, 1, 1, 5), options);
  ASSERT_EQ(tree.num_nodes(), 6);
  for (NodeId k = 0; k + 1 < 6; ++k) {
    EXPECT_EQ(tree.parent(k), k + 1);
    EXPECT_EQ(tree.output_size(k), 1);  // c = 1: one row below the diagonal
    EXPECT_EQ(tree.exec_memory(k), 2);  // (1+1)(1+2)/2 - 1
  }
  EXPECT_EQ(tree.parent(5), -1);
  EXPECT_EQ(tree.output_size(5), 0);
}

TEST(AssemblyTree, GridTreesAreValidUnderEveryOrdering) {
  if (!have_cholmod()) GTEST_SKIP() << "built without CHOLMOD";
  const SparsePattern grid = grid_laplacian(2, 15, 15, 1, 5);
  for (Ordering ordering : {Ordering::kAmd, Ordering::kMetis, Ordering::kNestedDissection}) {
    for (Amalgamation a :
         {Amalgamation::kNone, Amalgamation::kFundamental, Amalgamation::kRelaxed}) {
      for (FrontWeights w : {FrontWeights::kTriangular, FrontWeights::kSquare}) {
        const Tree tree = assembly_tree(grid, {ordering, a, w});
        if (a == Amalgamation::kNone) {
          EXPECT_EQ(tree.num_nodes(), 225);
        } else {
          EXPECT_LT(tree.num_nodes(), 225);
        }
        EXPECT_LE(liu_optimal_traversal(tree).peak, best_postorder(tree).peak);
      }
    }
  }
  // Two components get a virtual root.
  SparsePattern two = grid_laplacian(2, 1, 1, 1, 5);
  two.num_rows = 2;
  two.column_start = {0, 1, 2};
  two.row_index = {0, 1};
  const Tree joined =
      assembly_tree(two, {Ordering::kAmd, Amalgamation::kNone, FrontWeights::kSquare});
  EXPECT_EQ(joined.num_nodes(), 3);
  EXPECT_EQ(joined.work(joined.root()), 0.0);
}

}  // namespace
}  // namespace memsched
