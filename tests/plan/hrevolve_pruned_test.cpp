// Tests of the pruned split search of the H-Revolve table: every entry is bit-identical to the
// recurrence evaluated over every split, on platforms large enough for the pruning to act.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../src/plan/hrevolve_tables.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/limits.hpp"

namespace memsched {
namespace {

// Every H_k(l, m) and Hbar_k(l, m) of the corrected recurrence over every split j = 1..l,
// each term added in the table's order ((j uf + tail) + head) + r_k, a free level 0 by Revolve's
// closed form uf t(l + 1, m) + ub (l + 1) as the table does. [k][m][l], papers' convention.
struct Plain {
  std::vector<std::vector<std::vector<double>>> h, hb;
};

Plain plain_tables(Step L, const Platform& p, double uf, double ub) {
  const double inf = std::numeric_limits<double>::infinity();
  Plain t;
  t.h.resize(p.num_levels());
  t.hb.resize(p.num_levels());
  const auto width = static_cast<std::size_t>(L + 1);
  for (std::size_t k = 0; k < p.num_levels(); ++k) {
    const StorageLevel& level = p.level(k);
    const auto c = static_cast<std::size_t>(std::min<std::int64_t>(level.num_slots, L + 1));
    const auto U = [&](Step l) {
      return k == 0 ? inf : t.h[k - 1].back()[static_cast<std::size_t>(l)];
    };
    auto& h = t.h[k];
    auto& hb = t.hb[k];
    h.assign(c + 1, std::vector<double>(width, inf));
    hb = h;
    for (std::size_t m = 0; m <= c; ++m) {
      h[m][0] = hb[m][0] = ub;
      for (Step l = 1; l <= L; ++l) {
        const auto i = static_cast<std::size_t>(l);
        if (m == 0) {
          h[0][i] = U(l);
          continue;
        }
        if (k == 0 && level.write_cost == 0 && level.read_cost == 0) {
          const Step n = l + 1;
          const auto a =
              revolve_advances(n, std::min<std::int64_t>(static_cast<std::int64_t>(m), n));
          h[m][i] = hb[m][i] = uf * static_cast<double>(a) + ub * static_cast<double>(n);
          continue;
        }
        double best = inf;
        for (Step j = 1; j <= l; ++j) {
          const double term =
              (static_cast<double>(j) * uf + h[m - 1][static_cast<std::size_t>(l - j)]) +
              hb[m][static_cast<std::size_t>(j - 1)];
          best = std::min(best, term);
        }
        best = std::min(best + level.read_cost, U(l));
        hb[m][i] = best;
        h[m][i] = std::min(U(l), level.write_cost + best);
      }
    }
  }
  return t;
}

void expect_identical(Step n, const Platform& p, double uf, double ub) {
  const HRevolveSolution fast(n, p, uf, ub, HRevolveVariant::kCorrected);
  const Plain plain = plain_tables(n - 1, p, uf, ub);
  for (std::size_t k = 0; k < p.num_levels(); ++k) {
    for (std::size_t m = 0; m < plain.h[k].size(); ++m) {
      for (Step l = 0; l < n; ++l) {
        const auto i = static_cast<std::size_t>(l);
        const auto s = static_cast<std::int64_t>(m);
        // EXPECT_EQ on doubles: bit-identical, not within a tolerance.
        ASSERT_EQ(fast.table(k, l, s, false), plain.h[k][m][i]) << k << " " << m << " " << l;
        if (m > 0) {
          ASSERT_EQ(fast.table(k, l, s, true), plain.hb[k][m][i]) << k << " " << m << " " << l;
        }
      }
    }
  }
}

TEST(HRevolvePruned, IdenticalOnTheTargetPlatform) {
  // 10 free RAM slots + 10 disk slots, w = r = 5, uf = ub = 1, and a costly RAM.
  expect_identical(1500, Platform({{"ram", 10, 0, 0}, {"disk", 10, 5, 5}}), 1.0, 1.0);
  expect_identical(900, Platform({{"ram", 4, 1, 1}, {"disk", 6, 5, 5}}), 1.0, 1.0);
}

// Seeded random platforms with costs non-decreasing over two or three levels: real costs
// (rounding in every sum: the plain block bound) or integer ones (the exact mode, whose block
// bounds also use the rows' least steps).
struct RandomPlatforms {
  std::uint64_t seed;
  int trials, max_slots, min_n, max_n;
  bool integer;
};

void expect_identical_on_random(const RandomPlatforms& r) {
  std::mt19937_64 rng(r.seed);
  std::uniform_int_distribution<int> slots(1, r.max_slots), steps(r.min_n, r.max_n);
  std::uniform_real_distribution<double> real_cost(0.0, 6.0), real_step(0.1, 3.0);
  std::uniform_int_distribution<int> int_cost(0, 9), int_step(1, 4);
  const auto cost = [&] { return r.integer ? static_cast<double>(int_cost(rng)) : real_cost(rng); };
  const auto step_cost = [&] {
    return r.integer ? static_cast<double>(int_step(rng)) : real_step(rng);
  };
  for (int trial = 0; trial < r.trials; ++trial) {
    const bool free_ram = r.integer ? trial % 2 == 0 : trial % 3 != 0;
    const bool three_levels = r.integer ? trial % 3 == 0 : trial % 2 == 0;
    const double w0 = free_ram ? 0 : cost(), r0 = free_ram ? 0 : cost();
    const double w1 = w0 + cost(), r1 = r0 + cost();
    std::vector<StorageLevel> levels{{"l0", slots(rng), w0, r0}, {"l1", slots(rng), w1, r1}};
    if (three_levels) levels.push_back({"l2", slots(rng), w1 + cost(), r1 + cost()});
    const Platform platform(levels);
    const Step n = steps(rng);
    const double uf = step_cost(), ub = step_cost();
    SCOPED_TRACE(testing::Message() << "trial " << trial << " n " << n);
    expect_identical(n, platform, uf, ub);
  }
}

TEST(HRevolvePruned, IdenticalOnRandomPlatforms) {
  expect_identical_on_random({2026120315, 12, 6, 300, 700, false});
}

TEST(HRevolvePruned, IdenticalOnRandomIntegerPlatforms) {
  expect_identical_on_random({2026120317, 10, 8, 600, 1600, true});
}

TEST(HRevolvePruned, ScheduleReplaysToTheTableCost) {
  const Chain chain(3000);
  const Platform platform({{"ram", 10, 0, 0}, {"disk", 10, 5, 5}});
  auto stream = hrevolve(chain, platform);
  ASSERT_TRUE(stream.has_value());
  EXPECT_DOUBLE_EQ(simulate(*stream, chain, platform).cost, *hrevolve_cost(chain, platform));
}

// The split search counts what it evaluates and stops past HRevolveTables::max_operations with
// std::length_error (the pruning's savings are measured, not proven, so the command line's
// up-front limit on hrevolve is enforced as the table is built).
detail::HRevolveTables tables_for(Step n, const Platform& platform, double max_operations) {
  detail::HRevolveTables t;
  t.length = n - 1;
  t.num_levels = platform.num_levels();
  for (const StorageLevel& level : platform.levels()) {
    t.unlimited.push_back(false);
    t.slots.push_back(std::min<std::int64_t>(level.num_slots, n));
    t.write.push_back(level.write_cost);
    t.read.push_back(level.read_cost);
  }
  t.max_operations = max_operations;
  return t;
}

TEST(HRevolvePruned, CountsItsOperationsAndStopsPastTheLimit) {
  const Step n = 3000;
  const Platform target({{"ram", 10, 0, 0}, {"disk", 10, 5, 5}});
  const Platform real_costs({{"ram", 10, 0, 0}, {"disk", 10, 2.5, 1.7}});
  // Unpruned: every entry l of the 10 disk rows evaluates l splits (the RAM rows are closed
  // forms).
  const double unpruned = 10.0 * 0.5 * static_cast<double>(n - 1) * static_cast<double>(n);
  detail::HRevolveTables pruned = tables_for(n, target, kMaxPlanOperations);
  pruned.solve();
  EXPECT_GT(pruned.operations, 10.0 * static_cast<double>(n - 1));  // at least one per entry
  EXPECT_LT(pruned.operations, 0.25 * unpruned);  // integer costs: the slope bound bites
  detail::HRevolveTables real = tables_for(n, real_costs, kMaxPlanOperations);
  real.solve();
  EXPECT_GT(real.operations, 0.0);
  EXPECT_LE(real.operations, 1.01 * unpruned);  // bounds visited add at most 1/kLeaf + ...
  detail::HRevolveTables capped = tables_for(n, real_costs, 0.5 * real.operations);
  try {
    capped.solve();
    FAIL() << "no refusal";
  } catch (const std::length_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("hrevolve: the split search passed"), std::string::npos) << message;
    EXPECT_NE(message.find("(limit "), std::string::npos) << message;
  }
  EXPECT_GT(capped.operations, 0.5 * real.operations);
  EXPECT_LT(capped.operations, 0.5 * real.operations + static_cast<double>(n) + 1e4);
}

}  // namespace
}  // namespace memsched
