// Tests of Revolve: golden values, the closed form against Griewank's DP and the exhaustive
// search, every schedule replayed by the simulator, 64-bit safety.
#include "memsched/plan/revolve.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

// Griewank's DP t(n, c) = min_{1<=i<n} [i + t(n-i, c-1) + t(i, c)], t(1, c) = 0,
// t(n, 1) = n(n-1)/2 (Griewank & Walther 2000): an oracle independent of the closed form.
std::vector<std::vector<std::int64_t>> griewank_dp(int max_n, int max_c) {
  std::vector<std::vector<std::int64_t>> t(max_n + 1, std::vector<std::int64_t>(max_c + 1, 0));
  for (int n = 1; n <= max_n; ++n) {
    t[n][1] = static_cast<std::int64_t>(n) * (n - 1) / 2;
    for (int c = 2; c <= max_c; ++c) {
      if (n == 1) continue;
      std::int64_t best = std::numeric_limits<std::int64_t>::max();
      for (int i = 1; i < n; ++i) best = std::min(best, i + t[n - i][c - 1] + t[i][c]);
      t[n][c] = best;
    }
  }
  return t;
}

TEST(Binomial, Beta) {
  EXPECT_EQ(beta(3, 2), 10);
  EXPECT_EQ(beta(10, 10), 184756);
  EXPECT_EQ(beta(0, 5), 1);
  EXPECT_EQ(beta(-1, 5), 0);
  EXPECT_EQ(beta(5, -1), 0);
  EXPECT_EQ(beta(1, 1000000000), 1000000001);
  EXPECT_EQ(beta(100, 100), kBinomialSaturation);
  EXPECT_EQ(beta(std::int64_t{1} << 61, std::int64_t{1} << 61), kBinomialSaturation);
}

TEST(Binomial, RepetitionNumber) {
  EXPECT_EQ(repetition_number(1, 5), 0);
  EXPECT_EQ(repetition_number(10, 3), 2);
  EXPECT_EQ(repetition_number(11, 3), 3);
  EXPECT_EQ(repetition_number(1000000000, 1), 999999999);
  EXPECT_THROW(repetition_number(0, 1), std::invalid_argument);
}

struct Golden {
  Step n;
  std::int64_t c;
  std::int64_t advances;
};

TEST(RevolveAdvances, PublicValues) {
  // docs/theory/chain.md, test values (the table and the extra grid).
  const Golden golden[] = {
      {1, 1, 0},          {2, 1, 1},           {3, 2, 2},         {5, 2, 6},
      {10, 3, 15},        {11, 3, 18},         {20, 4, 39},       {50, 7, 105},
      {100, 10, 222},     {1000, 10, 3636},    {1000, 100, 1898}, {10000, 2, 932820},
      {10000, 10, 57624}, {10000, 100, 24747}, {3, 1, 3},         {5, 3, 5},
      {5, 4, 4},          {10, 2, 20},         {10, 4, 14},       {10, 5, 13},
      {10, 10, 9},        {11, 2, 24},         {20, 2, 65},       {20, 5, 33},
      {20, 10, 28},       {50, 2, 285},        {50, 3, 180},      {50, 5, 122},
      {50, 10, 88},       {100, 2, 845},       {100, 5, 316},     {100, 20, 178},
      {1000, 2, 28820},   {1000, 3, 12155},    {1000, 5, 6284},   {1000, 20, 2747}};
  for (const Golden& g : golden) {
    EXPECT_EQ(revolve_advances(g.n, g.c), g.advances) << "n = " << g.n << ", c = " << g.c;
  }
  // docs/theory/chain.md, test values: checkpoint_schedules' forward step counts (x_0's slot
  // included).
  EXPECT_EQ(revolve_forward_steps(4, 2), 8);
  EXPECT_EQ(revolve_forward_steps(10, 9), 19);
  EXPECT_EQ(revolve_forward_steps(100, 1), 5050);
  EXPECT_EQ(revolve_forward_steps(100, 99), 199);
  EXPECT_EQ(revolve_forward_steps(250, 25), 723);
  EXPECT_EQ(revolve_forward_steps(250, 100), 648);
  EXPECT_EQ(revolve_forward_steps(1000, 10), 4636);
  EXPECT_EQ(revolve_forward_steps(100000, 10), 932040);
}

TEST(RevolveAdvances, ClosedFormEqualsGriewankDp) {
  const auto dp = griewank_dp(200, 8);
  for (int n = 1; n <= 200; ++n) {
    for (int c = 1; c <= 8; ++c) {
      ASSERT_EQ(revolve_advances(n, c), dp[n][c]) << "n = " << n << ", c = " << c;
    }
  }
}

TEST(RevolveAdvances, OptimalIntervalHoldsExactlyTheDpMinimisers) {
  const auto dp = griewank_dp(120, 6);
  for (int m = 2; m <= 120; ++m) {
    for (int d = 2; d <= 6; ++d) {
      const AdvanceInterval interval = optimal_advances(m, d);
      for (int i = 1; i < m; ++i) {
        const bool minimiser = i + dp[m - i][d - 1] + dp[i][d] == dp[m][d];
        const bool inside = interval.lo <= i && i <= interval.hi;
        ASSERT_EQ(minimiser, inside) << "m = " << m << ", d = " << d << ", i = " << i;
      }
    }
  }
}

TEST(RevolveAdvances, RejectsOverflowAndBadInput) {
  EXPECT_THROW(revolve_advances(0, 3), std::invalid_argument);
  EXPECT_THROW(revolve_advances(10, -1), std::invalid_argument);
  EXPECT_THROW(revolve_advances(10, 0), std::invalid_argument);
  EXPECT_EQ(revolve_advances(1, 0), 0);
  EXPECT_THROW(revolve_advances(std::int64_t{1} << 40, 1), std::overflow_error);
  EXPECT_THROW(revolve_advances(kMaxSteps, 100), std::overflow_error);
  // A 64-bit count the 32-bit Revolves get wrong (docs/theory/chain.md): r(2*10^8, 10) = 26 since
  // beta(10, 25) = 183579396 < 2*10^8 <= beta(10, 26) = 254186856.
  EXPECT_EQ(repetition_number(200000000, 10), 26);
  EXPECT_EQ(revolve_advances(200000000, 10), 200000000LL * 26 - beta(11, 25));
}

class RevolveGrid : public ::testing::TestWithParam<std::int64_t> {};

// Every schedule replays legally and meets the closed form; every advance of a stored
// snapshot lies in the optimal interval, so the schedule is optimal whatever the tie rule.
TEST_P(RevolveGrid, SimulatesToClosedForm) {
  const std::int64_t c = GetParam();
  for (Step n = 1; n <= 300; ++n) {
    RevolveStream stream(n, c);
    const SimulationReport report = simulate(stream, Chain(n), Platform::ram(c));
    ASSERT_EQ(report.forward_steps, revolve_forward_steps(n, c)) << "n = " << n;
    ASSERT_EQ(report.adjoint_steps, n);
    ASSERT_LE(report.levels[0].peak, c);
  }
}

TEST_P(RevolveGrid, CountsMatchClosedFormUpTo2000) {
  const std::int64_t c = GetParam();
  for (Step n = 301; n <= 2000; ++n) {
    RevolveStream stream(n, c);
    std::int64_t forward_steps = 0;
    while (std::optional<Action> a = stream.next()) {
      if (a->kind == ActionKind::kForward) forward_steps += a->end - a->begin;
    }
    ASSERT_EQ(forward_steps, revolve_forward_steps(n, c)) << "n = " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Slots, RevolveGrid, ::testing::Range<std::int64_t>(1, 21));

TEST(Revolve, EqualsExhaustiveSearch) {
  for (Step n = 1; n <= 12; ++n) {
    for (std::int64_t c = 1; c <= 5; ++c) {
      const Chain chain(n, 1.0, 1.0);
      const Platform platform = Platform::ram(c);
      const auto best = testing::exhaustive_optimum(chain, platform);
      ASSERT_TRUE(best.has_value());
      EXPECT_EQ(simulate(best->schedule, chain, platform).cost, best->cost);
      RevolveStream stream(n, c);
      EXPECT_EQ(simulate(stream, chain, platform).cost, best->cost) << "n = " << n << ", c = " << c;
    }
  }
}

TEST(Revolve, MatchesCheckpointSchedulesTutorial) {
  // Listing T1 of docs/theory/chain.md: Revolve(4, 2) prints 16 actions with 8 forward steps.
  // Our tie rule (the largest optimal advance) reproduces the same list.
  const Schedule expected = {Action::copy(0, Content::kState, kWork, 0),
                             Action::forward(0, 2),
                             Action::copy(2, Content::kState, kWork, 0),
                             Action::forward(2, 3),
                             Action::forward(3, 4, true),
                             Action::end_forward(),
                             Action::reverse(4, 3),
                             Action::move(2, Content::kState, 0, kWork),
                             Action::forward(2, 3, true),
                             Action::reverse(3, 2),
                             Action::copy(0, Content::kState, 0, kWork),
                             Action::forward(0, 1),
                             Action::forward(1, 2, true),
                             Action::reverse(2, 1),
                             Action::move(0, Content::kState, 0, kWork),
                             Action::forward(0, 1, true),
                             Action::reverse(1, 0),
                             Action::end_reverse()};
  RevolveStream stream(4, 2);
  EXPECT_EQ(collect(stream), expected);
}

TEST(Revolve, HugeChainsAreLazy) {
  RevolveStream stream(std::int64_t{1} << 40, 100);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(stream.next().has_value());
}

TEST(Revolve, PlatformEntryPoint) {
  EXPECT_FALSE(revolve(Chain(5), Platform::ram(0)).has_value());
  EXPECT_TRUE(revolve(Chain(1), Platform::ram(0)).has_value());
  EXPECT_FALSE(revolve(Chain(5), Platform({})).has_value());
  auto stream = revolve(Chain(50), Platform::ram(kUnlimitedSlots));
  ASSERT_TRUE(stream.has_value());
  EXPECT_EQ(simulate(*stream, Chain(50), Platform::ram(kUnlimitedSlots)).forward_steps, 99);
}

}  // namespace
}  // namespace memsched
