// Tests of the call-tree model: validation, defaults and derived quantities.
#include "memsched/calltree/call_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "examples.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(CallTree, WorkedExampleQuantities) {
  const CallTree tree = test::worked_example();
  EXPECT_EQ(tree.num_calls(), 4);
  EXPECT_EQ(tree.num_children(0), 2);
  EXPECT_EQ(tree.child(0, 0), 1);
  EXPECT_EQ(tree.child(0, 1), 3);
  EXPECT_EQ(tree.child(1, 0), 2);
  EXPECT_DOUBLE_EQ(tree.base_time(), 30);
  EXPECT_EQ(tree.total_tape(), 100);
  EXPECT_DOUBLE_EQ(tree.subtree_time(1), 6);
  EXPECT_DOUBLE_EQ(tree.subtree_time(2), 2);
  EXPECT_DOUBLE_EQ(tree.subtree_time(3), 3);
  EXPECT_DOUBLE_EQ(tree.subtree_time(0), 10);
  EXPECT_EQ(tree.depth(2), 2);
  // All own tape before the first call when tape_before_calls is not given.
  EXPECT_EQ(tree.tape_before(0, 0), 10);
  EXPECT_EQ(tree.tape_before(0, 1), 10);
  EXPECT_EQ(tree.tape_before(0, 2), 10);
  EXPECT_EQ(tree.find("A1"), CallIndex{2});
  EXPECT_EQ(tree.find("nope"), std::nullopt);
  EXPECT_FALSE(tree.may_be_joint(0));
  EXPECT_TRUE(tree.may_be_joint(1));
}

TEST(CallTree, JointCostIncludesSnapshotTimes) {
  std::vector<CallNode> calls(2);
  calls[0].name = "R";
  calls[1].name = "A";
  calls[1].parent = 0;
  calls[1].time = 3;
  calls[1].snapshot_write_time = 0.5;
  calls[1].snapshot_read_time = 0.25;
  const CallTree tree(calls);
  EXPECT_DOUBLE_EQ(tree.joint_cost(1), 3.75);
}

CallTree two_calls(CallNode root, CallNode child) {
  child.parent = 0;
  return CallTree({std::move(root), std::move(child)});
}

TEST(CallTree, RejectsBadCalls) {
  CallNode root;
  root.name = "R";
  CallNode a;
  a.name = "A";
  EXPECT_THAT([] { CallTree t({}); }, ThrowsMessage<std::invalid_argument>(HasSubstr("no calls")));
  CallNode bad = a;
  bad.time = -1;
  EXPECT_THAT([&] { two_calls(root, bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("call 1 ('A'): time")));
  bad = a;
  bad.adjoint_time = std::numeric_limits<double>::infinity();
  EXPECT_THAT([&] { two_calls(root, bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("adjoint_time")));
  bad = a;
  bad.tape_bytes = -5;
  EXPECT_THAT([&] { two_calls(root, bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("negative tape_bytes")));
  bad = a;
  bad.name = "R";
  EXPECT_THAT([&] { two_calls(root, bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("name repeated")));
  bad = a;
  bad.name = "";
  EXPECT_THAT([&] { two_calls(root, bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("empty name")));
  CallNode pinned = root;
  pinned.pin = CallPin::kJoint;
  EXPECT_THAT([&] { two_calls(pinned, a); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("root cannot be joint")));
  CallNode forward = a;
  forward.parent = 1;
  EXPECT_THAT(
      [&] {
        CallTree t({root, forward});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("parent 1 is not in [0, 1)")));
  CallNode big = a;
  big.tape_bytes = kMaxCallTreeBytes;
  CallNode big_root = root;
  big_root.tape_bytes = 1;
  EXPECT_THAT([&] { two_calls(big_root, big); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("exceed 2^62")));
}

TEST(CallTree, RejectsBadTapePrefixes) {
  CallNode root;
  root.name = "R";
  root.tape_bytes = 10;
  CallNode a;
  a.name = "A";
  a.parent = 0;
  root.tape_before_calls = {4, 3};
  EXPECT_THAT(
      [&] {
        CallTree t({root, a});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("2 entries for 1 calls")));
  root.tape_before_calls = {11};
  EXPECT_THAT(
      [&] {
        CallTree t({root, a});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("cumulative")));
  CallNode b = a;
  b.name = "B";
  root.tape_before_calls = {6, 5};
  EXPECT_THAT(
      [&] {
        CallTree t({root, a, b});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("tape_before_calls[1] = 5")));
  root.tape_before_calls = {5, 6};
  const CallTree ok({root, a, b});
  EXPECT_EQ(ok.tape_before(0, 0), 5);
  EXPECT_EQ(ok.tape_before(0, 1), 6);
  EXPECT_EQ(ok.tape_before(0, 2), 10);
}

TEST(CallTree, AssignmentsAndPins) {
  std::vector<CallNode> calls(3);
  calls[0].name = "R";
  calls[1].name = "A";
  calls[1].parent = 0;
  calls[1].pin = CallPin::kSplit;
  calls[2].name = "B";
  calls[2].parent = 0;
  calls[2].pin = CallPin::kJoint;
  const CallTree tree(calls);
  EXPECT_EQ(joint_calls(all_joint(tree)), std::vector<CallIndex>{2});
  EXPECT_NO_THROW(check_joint_set(tree, joint_set(tree, {2}), "f"));
  EXPECT_THAT([&] { check_joint_set(tree, joint_set(tree, {}), "f"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("f: call 'B' is pinned joint")));
  EXPECT_THAT(
      [&] {
        check_joint_set(tree, joint_set(tree, {1, 2}), "f");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("pinned split")));
  EXPECT_THAT(
      [&] {
        check_joint_set(tree, joint_set(tree, {0, 2}), "f");
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("root cannot be joint")));
  EXPECT_THAT([&] { check_joint_set(tree, JointSet(2, false), "f"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("size 2 for 3 calls")));
  EXPECT_THROW(joint_set(tree, {3}), std::out_of_range);
}

}  // namespace
}  // namespace memsched
