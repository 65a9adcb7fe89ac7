// Tests of H-Revolve: the paper listing, the exhaustive optimum on random tiny instances (costs
// on every level, non-monotone costs), the identities with Revolve, every schedule replayed.
#include "memsched/plan/hrevolve.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

SimulationReport replay(const Chain& chain, const Platform& platform,
                        HRevolveVariant variant = HRevolveVariant::kAuto) {
  std::optional<HRevolveStream> stream = hrevolve(chain, platform, variant);
  EXPECT_TRUE(stream.has_value());
  return simulate(*stream, chain, platform);
}

std::string describe(const Chain& chain, const Platform& platform) {
  std::string s = "n = " + std::to_string(chain.num_steps()) +
                  ", uf = " + std::to_string(chain.forward_cost(0)) +
                  ", ub = " + std::to_string(chain.adjoint_cost(0)) + ", levels";
  for (const StorageLevel& l : platform.levels()) {
    s += " (" + std::to_string(l.num_slots) + ", w " + std::to_string(l.write_cost) + ", r " +
         std::to_string(l.read_cost) + ")";
  }
  return s;
}

TEST(HRevolve, PaperListing2) {
  // Herrmann & Pallez 2020, Listing 2: l = 20, c = (1, 2, 10), w = r = (0, 2, 3), uf = ub = 1:
  // makespan 89 in the papers' convention; our n = l + 1 = 21 and cost = 89 + 21 * uf = 110.
  const Chain chain(21, 1.0, 1.0);
  const Platform platform({{"l0", 1, 0, 0}, {"l1", 2, 2, 2}, {"l2", 10, 3, 3}});
  for (HRevolveVariant v : {HRevolveVariant::kCorrected, HRevolveVariant::kPublished}) {
    const HRevolveSolution solution(21, platform, 1.0, 1.0, v);
    EXPECT_DOUBLE_EQ(solution.paper_makespan(), 89.0);
    EXPECT_DOUBLE_EQ(solution.cost(), 110.0);
    const SimulationReport report = replay(chain, platform, v);
    EXPECT_DOUBLE_EQ(report.cost, 110.0);
    EXPECT_DOUBLE_EQ(report.paper_makespan(chain), 89.0);
  }
}

TEST(HRevolve, OneFreeLevelIsRevolve) {
  for (Step n = 1; n <= 60; ++n) {
    for (std::int64_t c = 1; c <= 6; ++c) {
      const Chain chain(n, 1.0, 1.0);
      const Platform platform = Platform::ram(c);
      const SimulationReport report = replay(chain, platform);
      EXPECT_EQ(report.forward_steps, revolve_forward_steps(n, std::min<std::int64_t>(c, n)))
          << "n = " << n << ", c = " << c;
      EXPECT_DOUBLE_EQ(report.cost, *hrevolve_cost(chain, platform));
    }
  }
}

TEST(HRevolve, TwoFreeOneSlotLevelsAreRevolveWithTwoSlots) {
  for (Step n = 1; n <= 80; ++n) {
    const Chain chain(n, 2.0, 0.5);
    const Platform two({{"a", 1, 0, 0}, {"b", 1, 0, 0}});
    const double expected =
        2.0 * static_cast<double>(revolve_forward_steps(n, std::min<Step>(2, n))) +
        0.5 * static_cast<double>(n);
    EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, two), expected) << n;
    EXPECT_DOUBLE_EQ(replay(chain, two).cost, expected) << n;
  }
}

TEST(HRevolve, PublishedMissesWhenLevelZeroHasCosts) {
  // Found by the exhaustive search: l = 4 (n = 5), c = (1, 1), w = r = (1, 1), uf = ub = 1. The
  // published recurrence gives 23 (ours; 18 in the papers' convention), the optimum is 22.
  const Chain chain(5, 1.0, 1.0);
  const Platform platform({{"l0", 1, 1, 1}, {"l1", 1, 1, 1}});
  EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, platform, HRevolveVariant::kPublished), 23.0);
  EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, platform), 22.0);
  EXPECT_DOUBLE_EQ(testing::exhaustive_optimum(chain, platform)->cost, 22.0);
  EXPECT_DOUBLE_EQ(replay(chain, platform).cost, 22.0);
}

TEST(HRevolve, HierarchyMissesWithNonMonotoneCosts) {
  // A cheaper slower level: the best schedule keeps x_0 on the costly level 0 and later
  // checkpoints on the free level 1, which the hierarchical recurrence cannot express.
  const Chain chain(7, 3.0, 3.0);
  const Platform platform({{"l0", 1, 1, 6}, {"l1", 1, 0, 0}});
  EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, platform, HRevolveVariant::kPublished), 99.0);
  EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, platform, HRevolveVariant::kCorrected), 94.0);
  EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, platform), 85.0);  // kAuto picks kGeneral
  EXPECT_DOUBLE_EQ(testing::exhaustive_optimum(chain, platform)->cost, 85.0);
  EXPECT_DOUBLE_EQ(replay(chain, platform).cost, 85.0);
}

TEST(HRevolve, ClosedFormLevelZeroEqualsTheRecurrence) {
  // kCorrected replaces a free level 0 by Revolve's closed form; kPublished and kGeneral solve
  // the recurrence for it: all three agree when level 0 is free (docs/theory/chain.md).
  std::mt19937_64 rng(77);
  std::uniform_int_distribution<int> slots(0, 4), cost(0, 9), steps(1, 45), step_cost(1, 5);
  for (int i = 0; i < 150; ++i) {
    const double w1 = cost(rng), r1 = cost(rng);
    std::vector<StorageLevel> ls{{"l0", 1 + slots(rng), 0, 0}, {"l1", slots(rng), w1, r1}};
    if (i % 2 == 0) ls.push_back({"l2", slots(rng), w1 + cost(rng), r1 + cost(rng)});
    const Platform platform(ls);
    const Chain chain(steps(rng), step_cost(rng), step_cost(rng) - 1);
    const double corrected = *hrevolve_cost(chain, platform, HRevolveVariant::kCorrected);
    EXPECT_DOUBLE_EQ(corrected, *hrevolve_cost(chain, platform, HRevolveVariant::kPublished))
        << describe(chain, platform);
    EXPECT_DOUBLE_EQ(corrected, *hrevolve_cost(chain, platform, HRevolveVariant::kGeneral))
        << describe(chain, platform);
    EXPECT_DOUBLE_EQ(replay(chain, platform, HRevolveVariant::kCorrected).cost, corrected);
  }
}

// The corrected recurrence written the plain way (docs/multilevel.md), papers' convention.
double plain_corrected(Step L, const Platform& p, double uf, double ub) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<std::vector<double>>> h(p.num_levels()), hb(p.num_levels());
  for (std::size_t k = 0; k < p.num_levels(); ++k) {
    const auto c = static_cast<std::size_t>(std::min<std::int64_t>(p.level(k).num_slots, L + 1));
    const auto U = [&](Step l) {
      return k == 0 ? inf : h[k - 1].back()[static_cast<std::size_t>(l)];
    };
    h[k].assign(c + 1, std::vector<double>(static_cast<std::size_t>(L + 1), inf));
    hb[k] = h[k];
    for (std::size_t m = 0; m <= c; ++m) {
      h[k][m][0] = hb[k][m][0] = ub;
      for (Step l = 1; l <= L; ++l) {
        if (m == 0) {
          h[k][0][static_cast<std::size_t>(l)] = U(l);
          continue;
        }
        double best = U(l);
        for (Step j = 1; j <= l; ++j) {
          best = std::min(
              best, static_cast<double>(j) * uf + h[k][m - 1][static_cast<std::size_t>(l - j)] +
                        p.level(k).read_cost + hb[k][m][static_cast<std::size_t>(j - 1)]);
        }
        hb[k][m][static_cast<std::size_t>(l)] = best;
        h[k][m][static_cast<std::size_t>(l)] = std::min(U(l), p.level(k).write_cost + best);
      }
    }
  }
  return h.back().back()[static_cast<std::size_t>(L)];
}

TEST(HRevolve, FastTableEqualsPlainRecurrence) {
  // The vectorised table (reversed rows, SIMD reduction, closed-form free level 0) against the
  // plain triple loop, on random monotone platforms with costs on every level, n up to 300.
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> slots(0, 6), cost(0, 4), steps(1, 300), step_cost(1, 4);
  for (int i = 0; i < 60; ++i) {
    const double w0 = i % 3 == 0 ? 0 : cost(rng), r0 = i % 3 == 0 ? 0 : cost(rng);
    const double w1 = w0 + cost(rng), r1 = r0 + cost(rng);
    std::vector<StorageLevel> ls{{"l0", 1 + slots(rng), w0, r0}, {"l1", slots(rng), w1, r1}};
    if (i % 2 == 0) ls.push_back({"l2", slots(rng), w1 + cost(rng), r1 + cost(rng)});
    const Platform platform(ls);
    const Step n = steps(rng);
    const double uf = step_cost(rng) * 0.5, ub = step_cost(rng) * 0.25;
    const HRevolveSolution fast(n, platform, uf, ub, HRevolveVariant::kCorrected);
    EXPECT_DOUBLE_EQ(fast.paper_makespan(), plain_corrected(n - 1, platform, uf, ub))
        << describe(Chain(n, uf, ub), platform);
  }
}

TEST(HRevolve, UnlimitedLevelEqualsNMinusOneSlots) {
  // A level with >= n slots is solved as one "infinite" row; n - 1 slots already suffice for
  // any schedule, and take the ordinary rows: both must agree, on every level position, for the
  // hierarchical and the general recurrence, and the schedules must replay to that cost.
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> slots(1, 3), cost(0, 5), steps(2, 40), step_cost(1, 4);
  for (int i = 0; i < 80; ++i) {
    const Step n = steps(rng);
    const std::size_t big = static_cast<std::size_t>(i % 3);
    std::vector<StorageLevel> capped, unlimited;
    double w = 0, r = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      w += cost(rng);
      r += cost(rng);
      const std::int64_t c = k == big ? n - 1 : slots(rng);
      capped.push_back({"l" + std::to_string(k), c, w, r});
      unlimited.push_back({"l" + std::to_string(k), k == big ? kUnlimitedSlots : c, w, r});
    }
    const Chain chain(n, step_cost(rng), step_cost(rng) - 1);
    for (HRevolveVariant v : {HRevolveVariant::kCorrected, HRevolveVariant::kGeneral}) {
      const double expected = *hrevolve_cost(chain, Platform(capped), v);
      EXPECT_DOUBLE_EQ(*hrevolve_cost(chain, Platform(unlimited), v), expected)
          << describe(chain, Platform(capped));
      EXPECT_DOUBLE_EQ(replay(chain, Platform(unlimited), v).cost, expected);
    }
  }
}

TEST(HRevolve, InfeasibleIsNullopt) {
  EXPECT_FALSE(hrevolve(Chain(3), Platform({{"a", 0, 0, 0}, {"b", 0, 1, 1}})).has_value());
  EXPECT_TRUE(hrevolve(Chain(1), Platform({{"a", 0, 0, 0}})).has_value());
  EXPECT_FALSE(hrevolve(Chain({1.0, 2.0}, {1.0, 1.0}), Platform::ram(2)).has_value());
  EXPECT_THROW(HRevolveSolution(0, Platform::ram(2), 1, 1), std::invalid_argument);
}

// Random tiny instances: costs on every level (level 0 included), uf != ub, non-monotone costs.
struct Instance {
  Chain chain;
  Platform platform;
};

Instance random_instance(std::mt19937_64& rng, std::size_t levels, int max_n, int max_slots) {
  std::uniform_int_distribution<int> steps(1, max_n);
  std::uniform_int_distribution<int> slots(0, max_slots);
  std::uniform_int_distribution<int> cost(0, 6);
  std::uniform_int_distribution<int> step_cost(1, 4);
  std::vector<StorageLevel> ls;
  for (std::size_t k = 0; k < levels; ++k) {
    ls.push_back({"l" + std::to_string(k), slots(rng), static_cast<double>(cost(rng)),
                  static_cast<double>(cost(rng))});
  }
  if (ls[0].num_slots == 0) ls[0].num_slots = 1;
  const int n = steps(rng);
  return {Chain(n, static_cast<double>(step_cost(rng)), static_cast<double>(step_cost(rng) - 1)),
          Platform(ls)};
}

// Returns how many instances the published recurrence misses the optimum on.
int check_against_exhaustive(std::uint64_t seed, std::size_t levels, int count, int max_n,
                             int max_slots) {
  std::mt19937_64 rng(seed);
  int published_worse = 0;
  int non_monotone = 0;
  int hierarchical_worse = 0;
  for (int i = 0; i < count; ++i) {
    const Instance inst = random_instance(rng, levels, max_n, max_slots);
    const auto exact = testing::exhaustive_optimum(inst.chain, inst.platform);
    const std::optional<double> dp = hrevolve_cost(inst.chain, inst.platform);
    EXPECT_EQ(exact.has_value(), dp.has_value()) << describe(inst.chain, inst.platform);
    if (!exact || !dp) continue;
    EXPECT_DOUBLE_EQ(*dp, exact->cost) << describe(inst.chain, inst.platform);
    EXPECT_DOUBLE_EQ(replay(inst.chain, inst.platform).cost, exact->cost)
        << describe(inst.chain, inst.platform);
    // The published recurrence: never below the optimum, and a legal schedule of its value.
    const double published = *hrevolve_cost(inst.chain, inst.platform, HRevolveVariant::kPublished);
    EXPECT_GE(published, exact->cost - 1e-9);
    EXPECT_DOUBLE_EQ(replay(inst.chain, inst.platform, HRevolveVariant::kPublished).cost,
                     published);
    if (published > exact->cost + 1e-9) ++published_worse;
    // The hierarchical recurrence is exact whenever costs do not decrease towards slower levels.
    bool monotone = true;
    for (std::size_t k = 1; k < levels; ++k) {
      monotone = monotone &&
                 inst.platform.level(k).write_cost >= inst.platform.level(k - 1).write_cost &&
                 inst.platform.level(k).read_cost >= inst.platform.level(k - 1).read_cost;
    }
    const double corrected = *hrevolve_cost(inst.chain, inst.platform, HRevolveVariant::kCorrected);
    EXPECT_DOUBLE_EQ(replay(inst.chain, inst.platform, HRevolveVariant::kCorrected).cost,
                     corrected);
    if (monotone) {
      EXPECT_DOUBLE_EQ(corrected, exact->cost) << describe(inst.chain, inst.platform);
    } else {
      ++non_monotone;
      if (corrected > exact->cost + 1e-9) ++hierarchical_worse;
    }
  }
  // The draw must exercise both regimes, and non-monotone costs must defeat the hierarchy.
  EXPECT_GT(non_monotone, count / 4);
  EXPECT_GT(hierarchical_worse, 0);
  return published_worse;
}

TEST(HRevolveExhaustive, TwoLevels) {
  // Level-0 costs are drawn too, so the published recurrence must miss some optima.
  EXPECT_GT(check_against_exhaustive(20261122, 2, 400, 7, 3), 0);
}
TEST(HRevolveExhaustive, ManySmall) {
  check_against_exhaustive(4242, 2, 1600, 5, 2);
  check_against_exhaustive(4343, 3, 1000, 5, 2);
}
TEST(HRevolveExhaustive, ThreeLevels) { check_against_exhaustive(31415926, 3, 200, 6, 2); }

}  // namespace
}  // namespace memsched
