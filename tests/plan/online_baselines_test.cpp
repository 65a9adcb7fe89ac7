// Tests of the baseline online planners (OnlinePeriodic, OnlineRevolve) under simulated
// arrival, with the end announced after and before the last step.
#include "memsched/plan/online_baselines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

std::int64_t revolve_forward_steps(Step n, std::int64_t slots) {
  RevolveStream revolve(n, slots);
  return simulate(revolve, Chain(n), Platform::ram(slots)).forward_steps;
}

SimulationReport run(std::unique_ptr<OnlinePlanner> planner, Step n, std::int64_t slots,
                     OnlineEnd end) {
  OnlinePlannerStream stream(std::move(planner), n, end);
  return simulate(stream, Chain(n), Platform::ram(slots));
}

// The chain's first sweep (n forward steps), then every segment [j k, (j + 1) k) of [0, m)
// reversed by Revolve with slots - j snapshots, where m = n (the end announced after the last
// step) or n - 1 (before it: the recorded last step is reversed first).
std::int64_t periodic_forward_steps(Step n, Step period, std::int64_t slots, OnlineEnd end) {
  const Step m = end == OnlineEnd::kBeforeLastStep ? n - 1 : n;
  std::int64_t total = n;
  if (m == 0) return total;
  const std::int64_t starts = std::min<std::int64_t>(slots, (m - 1) / period + 1);
  for (std::int64_t j = 0; j < starts; ++j) {
    const Step stop = j + 1 < starts ? (j + 1) * period : m;
    total += revolve_forward_steps(stop - j * period, slots - j);
  }
  return total;
}

TEST(OnlinePeriodic, LegalAndAsPredictedForBothEnds) {
  for (OnlineEnd end : {OnlineEnd::kAfterLastStep, OnlineEnd::kBeforeLastStep}) {
    for (Step period : {1, 3, 7}) {
      for (std::int64_t slots : {1, 2, 4}) {
        for (Step n = 1; n <= 40; ++n) {
          const SimulationReport report =
              run(std::make_unique<OnlinePeriodic>(period, slots), n, slots, end);
          EXPECT_EQ(report.forward_steps, periodic_forward_steps(n, period, slots, end))
              << "n " << n << " period " << period << " slots " << slots;
          EXPECT_LE(report.levels[0].peak, slots);
        }
      }
    }
  }
}

TEST(OnlineRevolve, LegalAndAsPredictedForBothEnds) {
  for (std::int64_t slots : {1, 2, 5}) {
    for (Step n = 1; n <= 40; ++n) {
      // After: the sweep, then Revolve from x_0 on all n steps.
      EXPECT_EQ(run(std::make_unique<OnlineRevolve>(slots), n, slots, OnlineEnd::kAfterLastStep)
                    .forward_steps,
                n + revolve_forward_steps(n, slots))
          << "n " << n << " slots " << slots;
      // Before: the recorded last step is reversed first, Revolve covers the n - 1 others.
      EXPECT_EQ(run(std::make_unique<OnlineRevolve>(slots), n, slots, OnlineEnd::kBeforeLastStep)
                    .forward_steps,
                n + (n > 1 ? revolve_forward_steps(n - 1, slots) : 0))
          << "n " << n << " slots " << slots;
    }
  }
}

TEST(OnlineBaselines, ProtocolErrors) {
  EXPECT_THROW(OnlinePeriodic(0, 1), std::invalid_argument);
  EXPECT_THROW(OnlinePeriodic(1, 0), std::invalid_argument);
  EXPECT_THROW(OnlineRevolve(0), std::invalid_argument);
  OnlinePeriodic periodic(2, 2);
  EXPECT_THROW(periodic.finish(), std::logic_error);  // no step
  periodic.begin_step();
  periodic.begin_last_step();
  EXPECT_THROW(periodic.begin_step(), std::logic_error);
  periodic.finish();
  EXPECT_THROW(periodic.finish(), std::logic_error);
  OnlineRevolve revolve(2);
  revolve.begin_step();
  revolve.finish();
  EXPECT_THROW(revolve.begin_last_step(), std::logic_error);
}

}  // namespace
}  // namespace memsched
