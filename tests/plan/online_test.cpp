// Tests of the online planner: legality over a grid of lengths and slots, the reversal DP
// against the exhaustive search from every small held set, and the streamed schedule against
// the planner's own prediction.
#include "memsched/plan/online.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

// The forward steps the online stream must report: the sweep (n steps, or n - 1 plus the
// recorded last one), one recording per reversed step, and the DP's advances for the states
// held at the end.
std::int64_t predicted_forward_steps(Step n, std::int64_t c, OnlineEnd end,
                                     OnlinePolicy policy = OnlinePolicy::kRevolveGreedy) {
  OnlineCheckpointer planner(c, 0, policy);
  const Step stop = end == OnlineEnd::kBeforeLastStep ? n - 1 : n;
  for (Step i = 0; i < stop; ++i) planner.decide_step();
  if (stop == 0) return 1;
  return n + stop + online_reversal_advances(planner.checkpoints(), stop, c);
}

SimulationReport run(Step n, std::int64_t c, OnlineEnd end,
                     OnlinePolicy policy = OnlinePolicy::kRevolveGreedy) {
  OnlineStream stream(n, c, 0, end, policy);
  return simulate(stream, Chain(n), Platform::ram(c));
}

std::optional<testing::ExhaustiveResult> exhaustive_reversal(const std::vector<Step>& held, Step n,
                                                             std::int64_t c) {
  testing::ExhaustiveOptions options;
  options.stored_states = held;
  options.working_state = n;
  return testing::exhaustive_optimum(Chain(n, 1.0, 0.0), Platform::ram(c), options);
}

// The held sets the online planner actually produces: the reversal is optimal for them.
TEST(OnlineReversal, OptimalForTheOnlineDistributions) {
  for (OnlinePolicy policy : {OnlinePolicy::kRevolveGreedy, OnlinePolicy::kWangMoinIaccarino}) {
    for (Step n = 1; n <= 10; ++n) {
      for (std::int64_t c = 1; c <= 4; ++c) {
        OnlineCheckpointer planner(c, 0, policy);
        for (Step i = 0; i < n; ++i) planner.decide_step();
        const std::vector<Step> held = planner.checkpoints();
        const auto optimum = exhaustive_reversal(held, n, c);
        ASSERT_TRUE(optimum.has_value());
        EXPECT_EQ(static_cast<double>(online_reversal_advances(held, n, c) + n), optimum->cost)
            << "n = " << n << ", c = " << c;
      }
    }
  }
}

// Every held set of every n <= 9 with c <= 4 slots (438 sets).
std::vector<std::pair<std::vector<Step>, std::int64_t>> small_held_sets(Step n) {
  std::vector<std::pair<std::vector<Step>, std::int64_t>> sets;
  for (std::int64_t c = 1; c <= 4; ++c) {
    for (std::uint32_t mask = 0; mask < (1u << (n - 1)); ++mask) {
      std::vector<Step> held{0};
      for (Step i = 1; i < n; ++i) {
        if ((mask >> (i - 1)) & 1u) held.push_back(i);
      }
      if (static_cast<std::int64_t>(held.size()) <= c) sets.push_back({held, c});
    }
  }
  return sets;
}

// The forward sweep that stores `held` and reaches x_n, then online_reversal: the schedule a
// caller resuming from those checkpoints runs.
SimulationReport simulate_reversal(const std::vector<Step>& held, Step n, std::int64_t c) {
  Schedule schedule;
  for (std::size_t j = 0; j < held.size(); ++j) {
    schedule.push_back(Action::copy(held[j], Content::kState, kWork, 0));
    schedule.push_back(Action::forward(held[j], j + 1 < held.size() ? held[j + 1] : n));
  }
  auto reversal = online_reversal(held, n, c);
  while (std::optional<Action> a = reversal->next()) schedule.push_back(*a);
  return simulate(schedule, Chain(n), Platform::ram(c));
}

// Any held set: the DP (with shifted starts) equals the exhaustive optimum, and its stream
// runs exactly the advances it predicts. The keep/drop DP alone misses 9 of the 298 sets with
// n <= 8, by at most 3: n = 5, c = 2, held {0, 1}: restore x_1, advance to x_3 and store it in
// x_1's slot: 5 advances, keeping or dropping x_1: 6.
TEST(OnlineReversal, EqualsTheExhaustiveOptimumForAnyHeldSet) {
  int total = 0;
  int keep_drop_optimal = 0;
  int keep_drop_small = 0;
  for (Step n = 1; n <= 9; ++n) {
    for (const auto& [held, c] : small_held_sets(n)) {
      const auto optimum = exhaustive_reversal(held, n, c);
      ASSERT_TRUE(optimum.has_value());
      const std::int64_t ours = online_reversal_advances(held, n, c);
      ASSERT_EQ(static_cast<double>(ours + n), optimum->cost)
          << "n = " << n << ", c = " << c << ", " << held.size() << " held";
      const SimulationReport report = simulate_reversal(held, n, c);
      ASSERT_EQ(report.forward_steps, 2 * n + ours);
      ASSERT_LE(report.levels[0].peak, c);
      const std::int64_t keep_drop = online_keep_drop_advances(held, n, c);
      EXPECT_GE(keep_drop, ours);
      EXPECT_LE(keep_drop, ours + 3);
      total += 1;
      if (n <= 8) {
        keep_drop_small += 1;
        keep_drop_optimal += keep_drop == ours ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(total, 438);
  EXPECT_EQ(keep_drop_small, 298);
  EXPECT_EQ(keep_drop_optimal, 289);  // the figure quoted in docs/online.md
}

// Beyond the exhaustive search: the Monge row minima against a plain O(k * E^2) version of
// the same DP, on seeded random held sets.
std::int64_t plain_general_dp(const std::vector<Step>& held, Step end, std::int64_t c) {
  constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max() / 4;
  auto gap_start = [&](Step p) { return *(std::upper_bound(held.begin(), held.end(), p) - 1); };
  std::vector<std::int64_t> previous(static_cast<std::size_t>(end), kInf);
  previous[0] = 0;
  std::int64_t best = revolve_advances(end, c);
  for (std::int64_t q = 1; q < std::min<std::int64_t>(static_cast<std::int64_t>(held.size()), c);
       ++q) {
    std::vector<std::int64_t> current(static_cast<std::size_t>(end), kInf);
    for (Step p = 1; p < end; ++p) {
      for (Step p0 = 0; p0 < gap_start(p); ++p0) {
        if (previous[static_cast<std::size_t>(p0)] == kInf) continue;
        current[static_cast<std::size_t>(p)] =
            std::min(current[static_cast<std::size_t>(p)], previous[static_cast<std::size_t>(p0)] +
                                                               revolve_advances(p - p0, c - q + 1) +
                                                               (p - gap_start(p)));
      }
      if (current[static_cast<std::size_t>(p)] < kInf) {
        best =
            std::min(best, current[static_cast<std::size_t>(p)] + revolve_advances(end - p, c - q));
      }
    }
    previous = current;
  }
  return best;
}

TEST(OnlineReversal, MongeRowMinimaMatchThePlainDp) {
  std::mt19937_64 random(20261122);
  for (int trial = 0; trial < 60; ++trial) {
    const Step n = std::uniform_int_distribution<Step>(2, 90)(random);
    const std::int64_t c = std::uniform_int_distribution<std::int64_t>(1, 7)(random);
    std::vector<Step> held{0};
    for (Step i = 1; i < n && static_cast<std::int64_t>(held.size()) < c; ++i) {
      if (std::uniform_int_distribution<int>(0, 5)(random) == 0) held.push_back(i);
    }
    ASSERT_EQ(online_reversal_advances(held, n, c), plain_general_dp(held, n, c))
        << "n = " << n << ", c = " << c << ", " << held.size() << " held";
    const SimulationReport report = simulate_reversal(held, n, c);
    ASSERT_EQ(report.forward_steps, 2 * n + online_reversal_advances(held, n, c));
  }
}

// On the sets the policies produce, shifted starts pay off for few slots: the planner's
// reversal (exact DP) is never worse than keep/drop and strictly better on many lengths
// (c = 2: from n = 13 on; docs/online.md has the measured gaps).
TEST(OnlineReversal, ShiftedStartsHelpTheOnlineDistributions) {
  for (std::int64_t c : {2, 3, 5, 8}) {
    OnlineCheckpointer planner(c);
    planner.decide_step();
    int better = 0;
    for (Step n = 1; n <= 400; ++n) {
      const std::vector<Step> held = planner.checkpoints();
      const std::int64_t exact = online_reversal_advances(held, n, c);
      const std::int64_t keep_drop = online_keep_drop_advances(held, n, c);
      ASSERT_LE(exact, keep_drop) << "n = " << n << ", c = " << c;
      better += exact < keep_drop ? 1 : 0;
      planner.decide_step();
    }
    if (c <= 3) {
      EXPECT_GT(better, 100) << "c = " << c;
    }
  }
}

TEST(OnlineReversal, RejectsBadHeldSets) {
  EXPECT_THROW(online_reversal_advances({}, 5, 2), std::invalid_argument);
  EXPECT_THROW(online_reversal_advances({1}, 5, 2), std::invalid_argument);
  EXPECT_THROW(online_reversal_advances({0, 3, 2}, 5, 3), std::invalid_argument);
  EXPECT_THROW(online_reversal_advances({0, 1, 2}, 5, 2), std::invalid_argument);
  EXPECT_THROW(online_reversal_advances({0, 5}, 5, 2), std::invalid_argument);
}

TEST(OnlineCheckpointer, ProtocolErrors) {
  EXPECT_THROW(OnlineCheckpointer(0), std::invalid_argument);
  OnlineCheckpointer planner(3);
  EXPECT_THROW(planner.finish(), std::logic_error);
  EXPECT_TRUE(planner.decide_step().store);  // x_0 is always kept
  planner.begin_last_step();
  EXPECT_THROW(planner.decide_step(), std::logic_error);
  auto reversal = planner.finish();
  EXPECT_THROW(planner.finish(), std::logic_error);
}

TEST(OnlineCheckpointer, NeverHoldsMoreThanItsSlots) {
  for (std::int64_t c = 1; c <= 12; ++c) {
    OnlineCheckpointer planner(c);
    for (Step i = 0; i < 5000; ++i) {
      const OnlineDecision d = planner.decide_step();
      ASSERT_EQ(d.step, i);
      const std::vector<Step> held = planner.checkpoints();
      ASSERT_LE(static_cast<std::int64_t>(held.size()), c);
      ASSERT_EQ(held.front(), 0);
      if (d.store) {
        ASSERT_EQ(held.back(), i);
      }
    }
  }
}

// Legal schedules, slots never exceeded (the simulator enforces them), and forward steps as
// the DP predicts, in both end modes: every n <= 200 for c <= 16, every n <= 100 for
// 16 < c <= 50 (the release sweep of docs/online.md covers every n <= 2000, c <= 50).
TEST(OnlineStream, LegalAndAsPredictedOnADenseGrid) {
  for (OnlineEnd end : {OnlineEnd::kAfterLastStep, OnlineEnd::kBeforeLastStep}) {
    for (std::int64_t c = 1; c <= 50; ++c) {
      for (Step n = 1; n <= (c <= 16 ? 200 : 100); ++n) {
        const SimulationReport report = run(n, c, end);
        ASSERT_EQ(report.forward_steps, predicted_forward_steps(n, c, end))
            << "n = " << n << ", c = " << c;
        ASSERT_EQ(report.adjoint_steps, n);
        ASSERT_LE(report.levels[0].peak, c);
        ASSERT_GE(report.forward_steps, revolve_forward_steps(n, c));
      }
    }
  }
}

// Stumm & Walther's guarantee: with the end known before the last step, the online schedule
// is offline-optimal (n + t(n, c) forward steps) for every n <= beta(c, 2); at most three
// steps more when the end is only known after the last step has run (measured).
TEST(OnlineStream, OfflineOptimalUpToBetaC2) {
  std::vector<std::int64_t> grid;
  for (std::int64_t c = 1; c <= 25; ++c) grid.push_back(c);
  grid.push_back(40);
  for (std::int64_t c : grid) {
    // After i steps begun, the held states serve the run that ends at x_i (end known after
    // the last step) and the one that ends at x_{i+1} (last step recorded).
    OnlineCheckpointer planner(c);
    planner.decide_step();
    for (Step i = 1; i < beta(c, 2); ++i) {
      const std::vector<Step> held = planner.checkpoints();
      const Step n = i + 1;
      ASSERT_EQ(n + i + online_reversal_advances(held, i, c), revolve_forward_steps(n, c))
          << "n = " << n << ", c = " << c;
      ASSERT_LE(2 * i + online_reversal_advances(held, i, c), revolve_forward_steps(i, c) + 3)
          << "n = " << i << ", c = " << c;
      planner.decide_step();
    }
  }
  for (std::int64_t c : {3, 10}) {
    for (Step n = 1; n <= beta(c, 2); ++n) {
      ASSERT_EQ(run(n, c, OnlineEnd::kBeforeLastStep).forward_steps, revolve_forward_steps(n, c));
    }
  }
}

// Quasi-optimal up to beta(c, 3) (measured bounds, docs/online.md), and close beyond.
TEST(OnlineStream, QuasiOptimalUpToBetaC3) {
  for (std::int64_t c : {2, 3, 5, 10, 20}) {
    OnlineCheckpointer planner(c);
    for (Step n = 2; n <= std::min<Step>(beta(c, 3), 2000); ++n) {
      planner.decide_step();
      const std::int64_t online =
          n + (n - 1) + online_reversal_advances(planner.checkpoints(), n - 1, c);
      ASSERT_LE(static_cast<double>(online),
                1.08 * static_cast<double>(revolve_forward_steps(n, c)))
          << "n = " << n << ", c = " << c;
    }
  }
}

TEST(OnlineStream, WangMoinIaccarinoIsLegal) {
  for (std::int64_t c : {1, 2, 3, 7, 20}) {
    for (Step n = 1; n <= 400; n += 3) {
      ASSERT_EQ(
          run(n, c, OnlineEnd::kAfterLastStep, OnlinePolicy::kWangMoinIaccarino).forward_steps,
          predicted_forward_steps(n, c, OnlineEnd::kAfterLastStep,
                                  OnlinePolicy::kWangMoinIaccarino));
    }
  }
}

TEST(OnlineStream, LegalUpToTwoThousandSteps) {
  for (std::int64_t c : {2, 3, 5, 8, 13, 21, 34, 50}) {
    for (Step n = 301; n <= 2000; n += (c <= 3 ? 397 : 47)) {
      const SimulationReport report = run(n, c, OnlineEnd::kAfterLastStep);
      ASSERT_EQ(report.forward_steps, predicted_forward_steps(n, c, OnlineEnd::kAfterLastStep))
          << "n = " << n << ", c = " << c;
    }
  }
}

TEST(OnlineStream, LegalOnLongRuns) {
  const struct {
    Step n;
    std::int64_t c;
  } cases[] = {{10'000, 2}, {10'000, 3}, {54'321, 5}, {100'000, 50}};
  for (const auto& k : cases) {
    const SimulationReport report = run(k.n, k.c, OnlineEnd::kAfterLastStep);
    EXPECT_EQ(report.forward_steps, predicted_forward_steps(k.n, k.c, OnlineEnd::kAfterLastStep))
        << "n = " << k.n << ", c = " << k.c;
    EXPECT_LE(report.levels[0].peak, k.c);
  }
}

}  // namespace
}  // namespace memsched
