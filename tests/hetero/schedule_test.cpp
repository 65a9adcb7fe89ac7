// Tests of the byte-exact simulator of heterogeneous schedules: legal runs and every rejection.
#include "memsched/hetero/schedule.hpp"

#include <gtest/gtest.h>

#include "hetero/random_chain.hpp"
#include "memsched/errors.hpp"

namespace memsched {
namespace {

using Op = HeteroOp;

HeteroSchedule store_all(std::int64_t n) {
  HeteroSchedule s;
  for (std::int64_t i = 0; i < n; ++i) s.push_back(Op::forward_enable(i));
  s.push_back(Op::loss(n));
  for (std::int64_t i = n - 1; i >= 0; --i) s.push_back(Op::backward(i));
  return s;
}

TEST(HeteroSimulate, ChainASchedulesPeakAsPublished) {
  const HeteroChain chain = testing::chain_a();
  const HeteroSchedule s13 = {Op::forward_check(0), Op::forward_check(1),  Op::forward_enable(2),
                              Op::loss(3),          Op::backward(2),       Op::forward_enable(1),
                              Op::backward(1),      Op::forward_enable(0), Op::backward(0)};
  const HeteroReport r = simulate(s13, chain, 13);
  EXPECT_EQ(r.makespan, 26);
  EXPECT_EQ(r.peak_bytes, 13);
  EXPECT_EQ(r.forwards, 5);
  EXPECT_EQ(r.recording_forwards, 3);
  EXPECT_THROW(simulate(s13, chain, 12), ScheduleError);
  std::vector<HeteroTimelineEntry> timeline;
  simulate(s13, chain, 13, {}, &timeline);
  ASSERT_EQ(timeline.size(), s13.size());
  EXPECT_EQ(timeline[0].start, 0);
  EXPECT_EQ(timeline[0].end, 1);
  EXPECT_EQ(timeline[0].peak_bytes, 3);   // x_0 + x_1
  EXPECT_EQ(timeline[4].peak_bytes, 12);  // B_2: x_0 x_1 x_2 xbar_3 ybar_3 + ybar_2
  EXPECT_EQ(timeline[4].after_bytes, 6);  // x_0 x_1 ybar_2
  EXPECT_EQ(timeline[6].peak_bytes, 13);  // B_1
  EXPECT_EQ(timeline.back().end, 26);
  EXPECT_EQ(timeline.back().after_bytes, 2);  // ybar_0
  const HeteroReport all = simulate(store_all(3), chain, 17);
  EXPECT_EQ(all.makespan, 21);
  EXPECT_EQ(all.peak_bytes, 17);
  EXPECT_EQ(to_string(store_all(3)), "Fe_0 Fe_1 Fe_2 L B_2 B_1 B_0");
}

TEST(HeteroSimulate, StoreAllPeakMatchesTheChainsFormula) {
  std::mt19937_64 rng(11);
  for (int c = 0; c < 200; ++c) {
    const HeteroChain chain = testing::random_chain(rng, 1 + c % 9, 30, 10);
    const HeteroReport r = simulate(store_all(chain.num_stages()), chain, kMaxBytes);
    EXPECT_EQ(r.peak_bytes, chain.store_all_peak());
    EXPECT_EQ(r.makespan, chain.minimal_makespan());
  }
}

std::int64_t rejected_at(const HeteroSchedule& s, const HeteroChain& chain, Bytes budget,
                         HeteroRules rules = {}) {
  try {
    simulate(s, chain, budget, rules);
  } catch (const ScheduleError& e) {
    return e.action_index();
  }
  return -1;
}

TEST(HeteroSimulate, RejectsIllegalSchedules) {
  const HeteroChain chain = testing::chain_a();
  // Missing input: x_1 was never computed.
  EXPECT_EQ(rejected_at({Op::forward_enable(1)}, chain, 100), 0);
  // Backward before the loss, out of order, without its tape.
  EXPECT_EQ(rejected_at({Op::forward_enable(0), Op::backward(0)}, chain, 100), 1);
  EXPECT_EQ(rejected_at({Op::forward_check(0), Op::forward_check(1), Op::forward_check(2),
                         Op::loss(3), Op::backward(2)},
                        chain, 100),
            4);
  // The loss twice; a forward past the backward front.
  HeteroSchedule s = store_all(3);
  s.insert(s.begin() + 4, Op::loss(3));
  EXPECT_EQ(rejected_at(s, chain, 100), 4);
  s = store_all(3);
  s.insert(s.begin() + 5, Op::forward_check(2));
  EXPECT_EQ(rejected_at(s, chain, 100), 5);
  // Pin rule: x_0 may not be dropped while x̄_1 exists; allowed when the rule is off.
  const HeteroSchedule pin = {Op::forward_enable(0), Op::free_input(0)};
  EXPECT_EQ(rejected_at(pin, chain, 100), 1);
  HeteroRules no_pin;
  no_pin.pin_inputs = false;
  EXPECT_EQ(rejected_at(pin, chain, 100, no_pin), 2);  // then fails only at the end
  // Fn of a value stored only inside a tape; a value produced twice.
  EXPECT_EQ(rejected_at({Op::forward_enable(0), Op::forward_nograd(1)}, chain, 100), 1);
  EXPECT_EQ(rejected_at({Op::forward_check(0), Op::forward_check(0)}, chain, 100), 1);
  // An incomplete schedule (a backward finishing frees everything, so nothing else can be left).
  EXPECT_EQ(rejected_at({Op::forward_enable(0)}, chain, 100), 1);
  // Temporaries count: a stage with a 10-byte forward temporary.
  const HeteroChain tmp({{1, 1, 1, 1, 10, 0}}, {1, 0, 0});
  EXPECT_EQ(rejected_at(store_all(1), tmp, 11), 0);
  EXPECT_EQ(simulate(store_all(1), tmp, 12).peak_bytes, 12);
  // Bad stage indices and x_0 above the budget.
  EXPECT_EQ(rejected_at({Op::forward_check(7)}, chain, 100), 0);
  EXPECT_EQ(rejected_at({Op::free_tape(0)}, chain, 100), 0);
  EXPECT_THROW(simulate({}, chain, 1), ScheduleError);
}

TEST(HeteroSimulate, ErrorsNameTheOperationAndTheReason) {
  const HeteroChain chain = testing::chain_a();
  try {
    simulate(store_all(3), chain, 16);
    FAIL();
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.action_index(), 4);
    EXPECT_NE(std::string(e.what()).find("B_2"), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find("above the budget of 16"), std::string::npos) << e.reason();
  }
}

}  // namespace
}  // namespace memsched
