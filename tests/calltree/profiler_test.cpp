// Tests of the call-tree recorder: the tree CallScopes build, tape prefixes, names and sites,
// and the errors for scopes that do not match the recorded run.
#include "memsched/calltree/profiler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace memsched {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// R pushes 5, calls A (pushes 7, calls B twice, each pushing 3), pushes 2, calls B.
void record_program() {
  CallScope r("R");
  tape_pushed(5);
  {
    CallScope a("A");
    a.snapshot(11, 0.5, 0.25);
    tape_pushed(7);
    for (int i = 0; i < 2; ++i) {
      MEMSCHED_CALL_SCOPE("B", CallPhase::kRecord);
      tape_pushed(3);
    }
  }
  tape_pushed(2);
  {
    CallScope b("B");
    tape_pushed(3);
  }
}

void reverse_program() {
  CallScope r("R", CallPhase::kReverse);
  { CallScope b("B", CallPhase::kReverse); }
  {
    CallScope a("A", CallPhase::kReverse);
    for (int i = 0; i < 2; ++i) {
      MEMSCHED_CALL_SCOPE("B", CallPhase::kReverse);
    }
  }
}

TEST(CallTreeProfiler, RecordsTheDynamicTree) {
  CallRecorder recorder;
  record_program();
  reverse_program();
  EXPECT_EQ(recorder.num_calls(), 5);
  const CallTree tree = recorder.tree();
  ASSERT_EQ(tree.num_calls(), 5);
  EXPECT_EQ(tree.call(0).name, "R");
  EXPECT_EQ(tree.call(1).name, "A#1");
  EXPECT_EQ(tree.site(1), "A");
  // The loop's B scopes come from one static site (file:line), the last B from another.
  EXPECT_EQ(tree.site(2), tree.site(3));
  EXPECT_NE(tree.site(2), tree.site(4));
  EXPECT_THAT(tree.site(2), HasSubstr("B@profiler_test.cpp:"));
  EXPECT_EQ(tree.call(2).name, tree.site(2) + "#1");
  EXPECT_EQ(tree.call(3).name, tree.site(2) + "#2");
  EXPECT_EQ(tree.call(0).tape_bytes, 7);
  EXPECT_EQ(tree.tape_before(0, 0), 5);
  EXPECT_EQ(tree.tape_before(0, 1), 7);
  EXPECT_EQ(tree.call(1).tape_bytes, 7);
  EXPECT_EQ(tree.tape_before(1, 0), 7);
  EXPECT_EQ(tree.tape_before(1, 1), 7);
  EXPECT_EQ(tree.call(2).tape_bytes, 3);
  EXPECT_EQ(tree.call(1).snapshot_bytes, 11);
  EXPECT_EQ(tree.call(1).snapshot_write_time, 0.5);
  EXPECT_EQ(tree.call(1).snapshot_read_time, 0.25);
  for (CallIndex v = 0; v < 5; ++v) {
    EXPECT_GE(tree.call(v).record_time, 0);
    EXPECT_GE(tree.call(v).adjoint_time, 0);
    EXPECT_EQ(tree.call(v).time, tree.call(v).record_time);  // no plain run
  }
}

TEST(CallTreeProfiler, PlainRunGivesPlainTimes) {
  CallRecorder recorder(CallClock::kSteady);
  record_program();
  reverse_program();
  {
    CallScope r("R", CallPhase::kPlain);
    { CallScope a("A", CallPhase::kPlain); }
  }
  const CallTree tree = recorder.tree();
  EXPECT_GE(tree.call(1).time, 0);
}

TEST(CallTreeProfiler, MismatchesAreErrors) {
  {
    CallRecorder recorder;
    record_program();
    EXPECT_THAT([] { CallScope r("A", CallPhase::kReverse); },
                ThrowsMessage<std::logic_error>(HasSubstr("root scope of site 'A'")));
    EXPECT_THAT([&] { (void)recorder.tree(); },
                ThrowsMessage<std::logic_error>(HasSubstr("never reversed")));
    EXPECT_THAT([] { CallScope r("R"); },
                ThrowsMessage<std::logic_error>(HasSubstr("a second root")));
    {
      CallScope r("R", CallPhase::kReverse);
      EXPECT_THAT([] { CallScope a("A", CallPhase::kReverse); },
                  ThrowsMessage<std::logic_error>(HasSubstr("reverse scope of site 'A'")));
      EXPECT_THAT([] { CallScope b("B", CallPhase::kRecord); },
                  ThrowsMessage<std::logic_error>(HasSubstr("another phase")));
      EXPECT_THAT([&] { (void)recorder.tree(); },
                  ThrowsMessage<std::logic_error>(HasSubstr("still open")));
    }
    EXPECT_THROW(CallRecorder second, std::logic_error);
  }
  CallRecorder fresh;
  EXPECT_THAT([&] { (void)fresh.tree(); },
              ThrowsMessage<std::logic_error>(HasSubstr("nothing recorded")));
  EXPECT_THROW(register_call_site(""), std::invalid_argument);
  EXPECT_THROW(call_site_name(-1), std::out_of_range);
}

TEST(CallTreeProfiler, ScopesWithoutRecorderAndPerThreadRecorders) {
  { CallScope idle("idle"); }  // no recorder on this thread: nothing happens
  std::int64_t other_calls = 0;
  std::thread worker([&] {
    CallRecorder recorder;
    record_program();
    reverse_program();
    other_calls = recorder.tree().num_calls();
  });
  worker.join();
  EXPECT_EQ(other_calls, 5);
}

}  // namespace
}  // namespace memsched
