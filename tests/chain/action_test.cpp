// Tests of Action: factories, equality and the readable form.
#include "memsched/chain/action.hpp"

#include <gtest/gtest.h>

#include "memsched/chain/platform.hpp"

namespace memsched {
namespace {

TEST(Action, ReadableForm) {
  const Platform platform = Platform::ram_disk(2, 2, 1, 1);
  EXPECT_EQ(to_string(Action::forward(0, 2)), "Forward(0, 2)");
  EXPECT_EQ(to_string(Action::forward(3, 4, true)), "Forward(3, 4, record)");
  EXPECT_EQ(to_string(Action::reverse(4, 3)), "Reverse(4, 3)");
  EXPECT_EQ(to_string(Action::reverse(4, 0, false)), "Reverse(4, 0, keep)");
  EXPECT_EQ(to_string(Action::copy(2, Content::kState, kWork, 0)), "Copy(state 2, work -> L0)");
  EXPECT_EQ(to_string(Action::move(5, Content::kTape, 1, kWork), platform),
            "Move(tape 5, disk -> work)");
  EXPECT_EQ(to_string(Action::free(2, Content::kState, 0), platform), "Free(state 2, ram)");
  EXPECT_EQ(to_string(Action::end_forward()), "EndForward()");
  EXPECT_EQ(to_string(Action::end_reverse()), "EndReverse()");
  EXPECT_EQ(to_string(ActionKind::kMove), std::string("move"));
}

TEST(Action, Equality) {
  EXPECT_EQ(Action::forward(0, 2), Action::forward(0, 2));
  EXPECT_NE(Action::forward(0, 2), Action::forward(0, 2, true));
  EXPECT_NE(Action::copy(1, Content::kState, kWork, 0), Action::move(1, Content::kState, kWork, 0));
  EXPECT_NE(Action::copy(1, Content::kState, kWork, 0), Action::copy(1, Content::kTape, kWork, 0));
  EXPECT_TRUE(Action::forward(0, 1, true).record());
  EXPECT_FALSE(Action::reverse(1, 0, true).record());
  EXPECT_TRUE(Action::reverse(1, 0, true).clear());
}

TEST(Action, ShiftedMovesStepsOnly) {
  EXPECT_EQ(shifted(Action::forward(1, 3, true), 10), Action::forward(11, 13, true));
  EXPECT_EQ(shifted(Action::reverse(3, 1), 10), Action::reverse(13, 11));
  EXPECT_EQ(shifted(Action::copy(2, Content::kTape, kWork, 1), 5),
            Action::copy(7, Content::kTape, kWork, 1));
  EXPECT_EQ(shifted(Action::free(2, Content::kState, 0), -2), Action::free(0, Content::kState, 0));
  EXPECT_EQ(shifted(Action::end_forward(), 4), Action::end_forward());
  EXPECT_EQ(shifted(Action::end_reverse(), 4), Action::end_reverse());
}

}  // namespace
}  // namespace memsched
