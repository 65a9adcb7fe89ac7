// Tests of Mixed: its recurrence against an independent transcription, published values, every
// schedule replayed by the simulator, and the exhaustive search of the mixed model.
#include "memsched/plan/mixed.hpp"

#include <gtest/gtest.h>

#include <map>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

// Maddison's recurrence by plain memoised recursion (docs/theory/chain.md), independent of the
// table.
std::int64_t recurrence(std::int64_t n, std::int64_t s,
                        std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t>& memo) {
  constexpr std::int64_t kInf = std::int64_t{1} << 50;
  if (n <= s + 1) return n;
  if (s == 0) return kInf;
  if (s == 1) return n * (n + 1) / 2 - 1;
  const auto key = std::make_pair(n, s);
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  std::int64_t best = 1 + recurrence(n - 1, s - 1, memo);
  for (std::int64_t i = 2; i < n; ++i) {
    best = std::min(best, i + recurrence(i, s, memo) + recurrence(n - i, s - 1, memo));
  }
  memo[key] = best;
  return best;
}

TEST(MixedForwardSteps, PublishedValues) {
  // docs/theory/chain.md, test values.
  EXPECT_EQ(mixed_forward_steps(2, 1), 2);
  EXPECT_EQ(mixed_forward_steps(3, 1), 5);
  EXPECT_EQ(mixed_forward_steps(3, 2), 3);
  EXPECT_EQ(mixed_forward_steps(4, 1), 9);
  EXPECT_EQ(mixed_forward_steps(5, 2), 8);
  EXPECT_EQ(mixed_forward_steps(10, 2), 26);
  EXPECT_EQ(mixed_forward_steps(10, 3), 19);
  EXPECT_EQ(mixed_forward_steps(10, 5), 15);
  EXPECT_EQ(mixed_forward_steps(10, 9), 10);
  EXPECT_EQ(mixed_forward_steps(1000, 10), 3921);
  EXPECT_EQ(revolve_forward_steps(1000, 10), 4636);
  EXPECT_EQ(mixed_forward_steps(1, 0), 1);
  EXPECT_FALSE(mixed_forward_steps(2, 0));
  EXPECT_THROW(mixed_forward_steps(0, 3), std::invalid_argument);
  EXPECT_THROW(mixed_forward_steps(5, -1), std::invalid_argument);
  EXPECT_THROW(mixed_forward_steps(kMaxMixedSteps + 1, 3), std::invalid_argument);
}

TEST(MixedForwardSteps, EqualsTheRecurrenceUpTo200Steps) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> memo;
  for (std::int64_t s = 1; s <= 10; ++s) {
    for (std::int64_t n = 1; n <= 200; ++n) {
      ASSERT_EQ(mixed_forward_steps(n, s), recurrence(n, s, memo)) << n << " " << s;
    }
  }
}

void check_schedule(Step n, std::int64_t s) {
  const auto schedule = mixed_schedule(n, s);
  ASSERT_TRUE(schedule);
  const SimulationReport r = simulate(*schedule, Chain(n), Platform::ram(s));
  EXPECT_EQ(r.forward_steps, *mixed_forward_steps(n, s)) << n << " " << s;
  EXPECT_EQ(r.adjoint_steps, n);
  EXPECT_LE(r.levels[0].peak, s);
}

TEST(MixedSchedule, EverySchedulePassesTheSimulator) {
  for (std::int64_t s = 1; s <= 10; ++s) {
    for (Step n = 1; n <= 120; ++n) check_schedule(n, s);
  }
  check_schedule(1000, 10);
  check_schedule(500, 1);
  check_schedule(1, 0);
}

TEST(MixedSchedule, ThroughThePlatform) {
  const auto schedule = mixed(Chain(1000), Platform::ram(10));
  ASSERT_TRUE(schedule);
  EXPECT_EQ(simulate(*schedule, Chain(1000), Platform::ram(10)).forward_steps, 3921);
  EXPECT_FALSE(mixed(Chain(5), Platform::ram(0)));
  const auto unlimited = mixed(Chain(7), Platform::ram(kUnlimitedSlots));
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(simulate(*unlimited, Chain(7), Platform::ram(kUnlimitedSlots)).forward_steps, 7);
}

TEST(MixedSchedule, TenThousandSteps) {
  const auto schedule = mixed_schedule(10000, 10);
  ASSERT_TRUE(schedule);
  const SimulationReport r = simulate(*schedule, Chain(10000), Platform::ram(10));
  EXPECT_EQ(r.forward_steps, *mixed_forward_steps(10000, 10));
  EXPECT_LT(r.forward_steps, revolve_forward_steps(10000, 10));
}

// The exhaustive search of the model where slots hold states or tapes finds nothing better.
TEST(MixedSchedule, OptimalAgainstExhaustiveSearch) {
  testing::ExhaustiveOptions tapes;
  tapes.store_tapes = true;
  for (Step n = 1; n <= 7; ++n) {
    for (std::int64_t s = 1; s <= 4; ++s) {
      const auto best = testing::exhaustive_optimum(Chain(n), Platform::ram(s), tapes);
      ASSERT_TRUE(best);
      // Unit costs: cost = forward steps + n adjoint steps.
      EXPECT_EQ(best->cost, static_cast<double>(*mixed_forward_steps(n, s) + n)) << n << " " << s;
    }
  }
}

}  // namespace
}  // namespace memsched
