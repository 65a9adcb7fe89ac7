// Tests of the pruned split search of the H-Revolve table: every entry is bit-identical to the
// recurrence evaluated over every split, on platforms large enough for the pruning to act.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/hrevolve.hpp"

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

TEST(HRevolvePruned, IdenticalOnRandomPlatforms) {
  // Non-integer costs (rounding in every sum), two and three levels, costs non-decreasing.
  std::mt19937_64 rng(2026120315);
  std::uniform_int_distribution<int> slots(1, 6), steps(300, 700);
  std::uniform_real_distribution<double> cost(0.0, 6.0), step_cost(0.1, 3.0);
  for (int trial = 0; trial < 12; ++trial) {
    const bool free_ram = trial % 3 != 0;
    const double w0 = free_ram ? 0 : cost(rng), r0 = free_ram ? 0 : cost(rng);
    const double w1 = w0 + cost(rng), r1 = r0 + cost(rng);
    std::vector<StorageLevel> levels{{"l0", slots(rng), w0, r0}, {"l1", slots(rng), w1, r1}};
    if (trial % 2 == 0) levels.push_back({"l2", slots(rng), w1 + cost(rng), r1 + cost(rng)});
    const Platform platform(levels);
    const Step n = steps(rng);
    const double uf = step_cost(rng), ub = step_cost(rng);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " n " << n);
    expect_identical(n, platform, uf, ub);
  }
}

TEST(HRevolvePruned, IdenticalOnRandomIntegerPlatforms) {
  // Integer costs: the exact mode, whose block bounds also use the rows' least steps.
  std::mt19937_64 rng(2026120317);
  std::uniform_int_distribution<int> slots(1, 8), steps(600, 1600), cost(0, 9), step_cost(1, 4);
  for (int trial = 0; trial < 10; ++trial) {
    const bool free_ram = trial % 2 == 0;
    const double w0 = free_ram ? 0 : cost(rng), r0 = free_ram ? 0 : cost(rng);
    const double w1 = w0 + cost(rng), r1 = r0 + cost(rng);
    std::vector<StorageLevel> levels{{"l0", slots(rng), w0, r0}, {"l1", slots(rng), w1, r1}};
    if (trial % 3 == 0) levels.push_back({"l2", slots(rng), w1 + cost(rng), r1 + cost(rng)});
    const Platform platform(levels);
    const Step n = steps(rng);
    const double uf = step_cost(rng), ub = step_cost(rng);
    SCOPED_TRACE(testing::Message() << "trial " << trial << " n " << n);
    expect_identical(n, platform, uf, ub);
  }
}

TEST(HRevolvePruned, ScheduleReplaysToTheTableCost) {
  const Chain chain(3000);
  const Platform platform({{"ram", 10, 0, 0}, {"disk", 10, 5, 5}});
  auto stream = hrevolve(chain, platform);
  ASSERT_TRUE(stream.has_value());
  EXPECT_DOUBLE_EQ(simulate(*stream, chain, platform).cost, *hrevolve_cost(chain, platform));
}

}  // namespace
}  // namespace memsched
