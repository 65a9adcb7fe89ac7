// Tests of the tree file formats: round trips, clear errors, and hostile input (fuzz-style).
#include "memsched/tree/io.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <new>
#include <random>
#include <sstream>
#include <string>

#include "memsched/errors.hpp"
#include "memsched/tree/generate.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

std::string text_of(const Tree& tree) {
  std::ostringstream out;
  write_tree_text(out, tree);
  return out.str();
}

std::string json_of(const Tree& tree) {
  std::ostringstream out;
  write_tree_json(out, tree);
  return out.str();
}

using ::testing::HasSubstr;

// Parses `text` and returns "ok" or the error message; fails the test on any exception that
// is not one of the documented ones (ParseError, std::invalid_argument).
std::string outcome(const std::string& text) {
  try {
    read_tree(text);
    return "ok";
  } catch (const ParseError& e) {
    return std::string("ParseError: ") + e.what();
  } catch (const std::invalid_argument& e) {
    return std::string("invalid_argument: ") + e.what();
  } catch (const std::bad_alloc&) {
    ADD_FAILURE() << "bad_alloc on input of " << text.size() << " bytes";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "undocumented exception: " << e.what();
  }
  return "unexpected";
}

TEST(TreeIo, TextFormat) {
  const Tree tree = read_tree_text(
      "# a comment\n"
      "0 -1 1 0 1   # root\n"
      "\n"
      "2 0 3 1 2.5\r\n"
      "1 0 2 0 1e0\n");
  EXPECT_EQ(tree.num_nodes(), 3);
  EXPECT_EQ(tree.output_size(2), 3);
  EXPECT_EQ(tree.exec_memory(2), 1);
  EXPECT_EQ(tree.work(2), 2.5);
  EXPECT_EQ(read_tree_text("0 -1 4.0 1e3 0\n").exec_memory(0), 1000);
}

TEST(TreeIo, RoundTrips) {
  RandomTreeOptions options;
  options.max_exec = 7;
  const Tree tree = random_tree(200, 42, options);
  EXPECT_EQ(read_tree(text_of(tree)), tree);
  EXPECT_EQ(read_tree(json_of(tree)), tree);
  EXPECT_EQ(read_tree(json_of(test::six_node_tree())), test::six_node_tree());
}

TEST(TreeIo, JsonDefaults) {
  const Tree tree = read_tree_json(
      R"({"nodes": [{"id": 0, "parent": -1, "output_size": 2},
                    {"id": 1, "parent": 0, "output_size": 3, "exec_memory": 4, "work": 0.5}]})");
  EXPECT_EQ(tree.exec_memory(0), 0);
  EXPECT_EQ(tree.work(0), 1.0);
  EXPECT_EQ(tree.work(1), 0.5);
}

TEST(TreeIo, ClearErrors) {
  EXPECT_THAT(outcome(""), HasSubstr("no nodes"));
  EXPECT_THAT(outcome("0 -1 1 0\n"), HasSubstr("line 1: tree: expected 5 fields"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n1 0 x 0 1\n"), HasSubstr("line 2, column 5: tree: bad output"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n1 0 -3 0 1\n"), HasSubstr("negative output_size"));
  EXPECT_THAT(outcome("0 -1 1 0 nan\n"), HasSubstr("bad work"));
  EXPECT_THAT(outcome("0 -1 1 0 -1\n"), HasSubstr("negative work"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n5 0 1 0 1\n"), HasSubstr("id 5 out of range"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n0 0 1 0 1\n"),
              HasSubstr("line 2, column 1: tree: id 0 repeated"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n1 -1 1 0 1\n"), HasSubstr("second root"));
  EXPECT_THAT(outcome("0 -1 1 0 1\n1 2 1 0 1\n2 1 1 0 1\n"), HasSubstr("cycle"));
  EXPECT_THAT(outcome("0 -1 99999999999999999999 0 1\n"), HasSubstr("bad output_size"));
  EXPECT_THAT(outcome("0 -1 4611686018427387904 1 1\n"), HasSubstr("2^62"));
  EXPECT_THAT(outcome("9223372036854775807 -1 1 0 1\n"), HasSubstr("out of range"));
  EXPECT_THAT(outcome("0 -1 1 0 1e999\n"), HasSubstr("bad work"));
  EXPECT_THAT(outcome("0 -1 1 0 1 7\n"), HasSubstr("more than 5 fields"));
  EXPECT_THAT(outcome("{\"nodes\": [}"), HasSubstr("line 1, column 12: tree JSON"));
  EXPECT_THAT(outcome("{\"nodes\": 3}"), HasSubstr("\"nodes\" array"));
  EXPECT_THAT(outcome(R"({"nodes": [{"id": 0, "parent": -1}]})"), HasSubstr("output_size missing"));
  EXPECT_THAT(outcome(R"({"nodes": [{"id": 0, "parent": -1, "output_size": 1e300}]})"),
              HasSubstr("not an integer"));
  EXPECT_THAT(
      outcome(R"({"nodes": [{"id": 0, "parent": -1, "output_size": 18446744073709551615}]})"),
      HasSubstr("too large"));
  EXPECT_THAT(outcome(R"({"nodes": [{"id": 3, "parent": -1, "output_size": 1}]})"),
              HasSubstr("nodes[0]: id 3 out of range"));
  EXPECT_THROW(read_tree_file("/nonexistent/tree.txt"), std::runtime_error);
}

// Random bytes, truncations and single-byte mutations of valid files, deep JSON nesting:
// every input either parses into a valid tree or throws a documented error; none crashes,
// hangs, or allocates beyond the input's size.
TEST(TreeIo, HostileInputGivesErrorsNotCrashes) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789 -+.eE#\n\t{}[]\":,xnodesidparent";
  for (int round = 0; round < 3000; ++round) {
    std::string text(rng() % 200, ' ');
    for (char& c : text) {
      c = (round % 2 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    EXPECT_NE(outcome(text), "unexpected") << "round " << round;
  }
  RandomTreeOptions options;
  options.max_exec = 3;
  const Tree tree = random_tree(12, 3, options);
  for (const std::string& valid : {text_of(tree), json_of(tree)}) {
    for (std::size_t cut = 0; cut < valid.size(); ++cut) {
      EXPECT_NE(outcome(valid.substr(0, cut)), "unexpected") << "cut " << cut;
    }
    for (int round = 0; round < 2000; ++round) {
      std::string text = valid;
      text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
      EXPECT_NE(outcome(text), "unexpected") << "mutation " << round;
    }
  }
  EXPECT_NE(outcome(std::string(100000, '[')), "unexpected");
  EXPECT_NE(outcome("{\"nodes\": " + std::string(50000, '[') + std::string(50000, ']') + "}"),
            "unexpected");
}

}  // namespace
}  // namespace memsched
