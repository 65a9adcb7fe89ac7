// Tests of periodic checkpointing, store-all and recompute-all.
#include "memsched/plan/periodic.hpp"

#include <gtest/gtest.h>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

// Forward steps of PeriodicStream: the forward sweep to the last segment, then each segment
// reversed by Revolve with the slots the stored starts leave (see periodic.hpp).
std::int64_t expected_forward_steps(Step n, Step k, std::int64_t c) {
  const Step segments = (n - 1) / k + 1;
  const Step last = n - (segments - 1) * k;
  std::int64_t total = (segments - 1) * k + revolve_forward_steps(last, c - (segments - 1));
  for (Step j = 0; j + 1 < segments; ++j) total += revolve_forward_steps(k, c - j);
  return total;
}

TEST(Periodic, SimulatesToItsCountsOverAGrid) {
  for (Step n = 1; n <= 60; ++n) {
    for (Step k = 1; k <= n; ++k) {
      const std::int64_t min_slots = periodic_min_slots(n, k);
      for (std::int64_t c = std::max<std::int64_t>(min_slots, 1); c <= min_slots + 3; ++c) {
        PeriodicStream stream(n, k, c);
        const SimulationReport report = simulate(stream, Chain(n), Platform::ram(c));
        ASSERT_EQ(report.forward_steps, expected_forward_steps(n, k, c))
            << "n = " << n << ", k = " << k << ", c = " << c;
        ASSERT_LE(report.levels[0].peak, c);
      }
    }
  }
}

TEST(Periodic, RejectsTooFewSlots) {
  EXPECT_EQ(periodic_min_slots(10, 3), 3);  // starts 0, 3, 6; the last segment [9, 10) needs none
  EXPECT_EQ(periodic_min_slots(11, 3), 4);  // starts 0, 3, 6 and x_9 for the last [9, 11)
  EXPECT_EQ(periodic_min_slots(10, 1), 9);
  EXPECT_THROW(PeriodicStream(10, 3, 2), std::invalid_argument);
  EXPECT_FALSE(periodic(Chain(10), Platform::ram(2), 3).has_value());
  EXPECT_THROW(periodic(Chain(10), Platform::ram(2), 0), std::invalid_argument);
  EXPECT_THROW(periodic(Chain(10), Platform::ram(2), 11), std::invalid_argument);
  EXPECT_THROW(PeriodicStream(kMaxSteps, kMaxSteps, 1), std::overflow_error);
}

TEST(StoreAll, StoresEveryStateOnce) {
  for (Step n = 1; n <= 50; ++n) {
    auto stream = store_all(Chain(n), Platform::ram(n));
    ASSERT_TRUE(stream.has_value());
    const SimulationReport report = simulate(*stream, Chain(n), Platform::ram(n));
    EXPECT_EQ(report.forward_steps, 2 * n - 1);
    EXPECT_EQ(report.levels[0].peak, n - 1);
    EXPECT_EQ(report.levels[0].writes, n - 1);
    EXPECT_EQ(report.levels[0].reads, n - 1);
  }
  EXPECT_FALSE(store_all(Chain(10), Platform::ram(8)).has_value());
}

TEST(RecomputeAll, RecomputesFromTheStart) {
  for (Step n = 1; n <= 50; ++n) {
    auto stream = recompute_all(Chain(n), Platform::ram(5));
    ASSERT_TRUE(stream.has_value());
    const SimulationReport report = simulate(*stream, Chain(n), Platform::ram(5));
    EXPECT_EQ(report.forward_steps, n + n * (n - 1) / 2);
    EXPECT_LE(report.levels[0].peak, 1);
  }
  EXPECT_FALSE(recompute_all(Chain(3), Platform::ram(0)).has_value());
}

TEST(StoreAll, IsOptimalWithEnoughSlots) {
  for (Step n = 1; n <= 8; ++n) {
    const Chain chain(n);
    const Platform platform = Platform::ram(n);
    auto stream = store_all(chain, platform);
    const auto best = testing::exhaustive_optimum(chain, platform);
    ASSERT_TRUE(best.has_value());
    EXPECT_EQ(simulate(*stream, chain, platform).cost, best->cost);
  }
}

}  // namespace
}  // namespace memsched
