// Tests of the nested JSON call-tree format: defaults, round trip and hostile input.
#include "memsched/calltree/io.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "examples.hpp"
#include "memsched/errors.hpp"

namespace memsched {
namespace {

using test::json_text;

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr const char* kExample = R"({"id": "R", "time": 1, "tape_bytes": 10, "calls": [
  {"id": "A", "time": 4, "tape_bytes": 40, "snapshot_bytes": 8,
   "calls": [{"id": "A1", "time": 2, "tape_bytes": 20, "snapshot_bytes": 6}]},
  {"id": "B", "time": 3, "tape_bytes": 30, "snapshot_bytes": 5}]})";

TEST(CallTreeIo, ParsesTheWorkedExampleWithDefaults) {
  const CallTree tree = read_calltree_json(kExample);
  ASSERT_EQ(tree.num_calls(), 4);
  EXPECT_EQ(tree.call(1).name, "A");
  EXPECT_EQ(tree.call(2).name, "A1");
  EXPECT_EQ(tree.call(3).name, "B");
  EXPECT_EQ(tree.call(2).parent, 1);
  EXPECT_DOUBLE_EQ(tree.call(1).record_time, 4);
  EXPECT_DOUBLE_EQ(tree.call(1).adjoint_time, 8);
  EXPECT_DOUBLE_EQ(tree.call(1).snapshot_write_time, 0);
  EXPECT_EQ(tree.tape_before(0, 1), 10);
  EXPECT_DOUBLE_EQ(tree.base_time(), 30);
}

TEST(CallTreeIo, ExplicitFields) {
  const CallTree tree = read_calltree_json(
      R"({"id": 7, "time": 1, "record_time": 1.5, "adjoint_time": 3, "tape_bytes": 10,
          "tape_before_calls": [2, 2e0], "calls": [
            {"id": "a", "time": 0, "pin": "joint", "snapshot_write_time": 0.25,
             "snapshot_read_time": 0.5}, {"id": "b", "time": 0, "pin": "split"}]})");
  EXPECT_EQ(tree.call(0).name, "7");
  EXPECT_DOUBLE_EQ(tree.call(0).record_time, 1.5);
  EXPECT_DOUBLE_EQ(tree.call(0).adjoint_time, 3);
  EXPECT_EQ(tree.tape_before(0, 0), 2);
  EXPECT_EQ(tree.tape_before(0, 2), 10);
  EXPECT_EQ(tree.call(1).pin, CallPin::kJoint);
  EXPECT_EQ(tree.call(2).pin, CallPin::kSplit);
  EXPECT_DOUBLE_EQ(tree.call(1).snapshot_read_time, 0.5);
}

TEST(CallTreeIo, RoundTripsRandomTrees) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const CallTree tree = test::random_calltree(rng, 1 + trial % 20, 20);
    const std::string text = json_text(tree);
    const CallTree back = read_calltree_json(text);
    ASSERT_EQ(back.num_calls(), tree.num_calls());
    EXPECT_EQ(json_text(back), text);
    // The file lists calls in pre-order, so indices may change: compare by name.
    for (CallIndex v = 0; v < tree.num_calls(); ++v) {
      const CallNode& c = tree.call(v);
      const auto w = back.find(c.name);
      ASSERT_TRUE(w.has_value());
      const CallNode& d = back.call(*w);
      if (v > 0) {
        EXPECT_EQ(back.call(d.parent).name, tree.call(c.parent).name);
      }
      EXPECT_EQ(d.tape_before_calls, c.tape_before_calls);
      EXPECT_EQ(d.pin, c.pin);
      EXPECT_EQ(d.tape_bytes, c.tape_bytes);
      EXPECT_EQ(d.snapshot_bytes, c.snapshot_bytes);
      EXPECT_EQ(d.adjoint_time, c.adjoint_time);
    }
  }
}

TEST(CallTreeIo, RejectsHostileInput) {
  auto fails = [](const std::string& text, const std::string& message) {
    EXPECT_THAT([&] { read_calltree_json(text); }, ThrowsMessage<ParseError>(HasSubstr(message)))
        << text;
  };
  fails("", "calltree JSON");
  fails("[1]", "expected one object");
  fails(R"({"time": 1})", "\"id\" missing");
  fails(R"({"id": "R"})", "\"time\" missing");
  fails(R"({"id": "R", "time": -1})", "finite non-negative");
  fails(R"({"id": "R", "time": "1"})", "time is not a number");
  fails(R"({"id": "R", "time": 1, "tape_bytes": -3})", "tape_bytes -3 is negative");
  fails(R"({"id": "R", "time": 1, "tape_bytes": 1.5})", "not a non-negative integer");
  fails(R"({"id": "R", "time": 1, "tape_bytes": 99999999999999999999})", "larger than 2^62");
  fails(R"({"id": "R", "time": 1, "tape_byte": 3})", "unknown key \"tape_byte\"");
  fails(R"({"id": "R", "time": 1, "pin": "maybe"})", "pin must be");
  fails(R"({"id": "R", "time": 1, "calls": {}})", "calls is not an array");
  fails(R"({"id": "R", "time": 1, "calls": [3]})", "call 'R'.calls[0]: a call must be");
  fails(R"({"id": "", "time": 1})", "\"id\" is empty");
  fails(R"({"id": [], "time": 1})", "not a string or an integer");
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += R"({"id": "x", "time": 1, "calls": [)";
  fails(deep, "calltree: calls nested deeper than 20002 levels");
  EXPECT_THAT(
      [] { read_calltree_json(R"({"id": "R", "time": 1, "calls": [{"id": "R", "time": 1}]})"); },
      ThrowsMessage<std::invalid_argument>(HasSubstr("name repeated")));
  EXPECT_THAT(
      [] {
        read_calltree_json(R"({"id": "R", "time": 1, "tape_before_calls": [1], "calls": []})");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("1 entries for 0 calls")));
}

TEST(CallTreeIo, DeepButAllowedNesting) {
  std::string text;
  const int depth = 5000;
  for (int i = 0; i < depth; ++i) {
    text += R"({"id": "f)" + std::to_string(i) + R"(", "time": 1, "tape_bytes": 1, "calls": [)";
  }
  text += R"({"id": "leaf", "time": 1})";
  for (int i = 0; i < depth; ++i) text += "]}";
  const CallTree tree = read_calltree_json(text);
  EXPECT_EQ(tree.num_calls(), depth + 1);
  EXPECT_EQ(tree.depth(depth), depth);
}

TEST(CallTreeIo, ReadsFiles) {
  const std::string path = ::testing::TempDir() + "calltree_io_test.json";
  {
    std::ofstream out(path);
    out << kExample;
  }
  EXPECT_EQ(read_calltree_file(path).num_calls(), 4);
  std::remove(path.c_str());
  EXPECT_THAT([&] { read_calltree_file(path); },
              ThrowsMessage<std::runtime_error>(HasSubstr("cannot open")));
}

}  // namespace
}  // namespace memsched
