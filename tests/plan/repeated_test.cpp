// Tests of repeated adjoints: legal multi-sweep schedules with the predicted forward steps,
// one sweep = Revolve, and kept checkpoints paying off over many sweeps.
#include "memsched/plan/repeated.hpp"

#include <gtest/gtest.h>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"

namespace memsched {
namespace {

TEST(Repeated, LegalAndAsPredicted) {
  for (Step n : {1, 2, 3, 7, 30, 101, 500}) {
    for (std::int64_t c : {1, 2, 3, 5, 10}) {
      for (std::int64_t sweeps : {1, 2, 3, 5}) {
        const std::int64_t slots = std::min<std::int64_t>(c, n);
        for (std::int64_t kept = 1; kept <= slots; ++kept) {
          RepeatedStream stream(n, slots, sweeps, kept);
          const SimulationReport report = simulate(stream, Chain(n), Platform::ram(c));
          ASSERT_EQ(report.forward_steps, repeated_forward_steps(n, slots, sweeps, kept))
              << "n = " << n << ", c = " << c << ", sweeps = " << sweeps << ", kept = " << kept;
          ASSERT_EQ(report.reverse_sweeps, sweeps);
          ASSERT_EQ(report.adjoint_steps, sweeps * n);
        }
      }
    }
  }
}

TEST(Repeated, OneSweepIsRevolve) {
  for (Step n : {1, 10, 100, 1000}) {
    for (std::int64_t c : {1, 3, 10}) {
      const std::int64_t slots = std::min<std::int64_t>(c, n);
      EXPECT_EQ(repeated_forward_steps(n, slots, 1, best_kept_checkpoints(n, slots, 1)),
                revolve_forward_steps(n, slots));
    }
  }
}

TEST(Repeated, KeptCheckpointsMakeExtraSweepsCheaper) {
  // n = 1000, c = 10: a second sweep from x_0 alone costs n + t(n, c) = 4636 again.
  const std::int64_t one = repeated_forward_steps(1000, 10, 1, 1);
  const std::int64_t five = repeated_forward_steps(1000, 10, 5, best_kept_checkpoints(1000, 10, 5));
  EXPECT_EQ(one, 4636);
  EXPECT_LT(five - one, 4 * (one - 0));
  EXPECT_GT(best_kept_checkpoints(1000, 10, 5), 1);
  EXPECT_THROW(repeated_forward_steps(10, 3, 0, 1), std::invalid_argument);
  EXPECT_THROW(repeated_forward_steps(10, 3, 2, 4), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
