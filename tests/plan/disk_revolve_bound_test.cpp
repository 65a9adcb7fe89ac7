// Tests of the bounded first-segment search of Disk-Revolve: the tables searched up to the proven
// bound J are bit-identical to the search over every split (values and tie-broken decisions).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/disk_revolve.hpp"

namespace memsched {
namespace {

// Every value and decision of the bounded tables equals the full search's, bit for bit.
void expect_identical(Step length, const DiskModel& model) {
  const DiskRevolveTables fast(length, model);
  const DiskRevolveTables full(length, model, true);
  ASSERT_EQ(full.first_segment_limit, length);
  ASSERT_EQ(fast.optinf.size(), full.optinf.size());
  ASSERT_GE(static_cast<Step>(fast.opt1d.size()), std::min(length, fast.first_segment_limit));
  for (std::size_t l = 0; l < full.optinf.size(); ++l) {
    // EXPECT_EQ on doubles: bit-identical, not within a tolerance.
    ASSERT_EQ(fast.opt0[l], full.opt0[l]) << l;
    ASSERT_EQ(fast.optinf[l], full.optinf[l])
        << "l = " << l << ", J = " << fast.first_segment_limit;
    ASSERT_EQ(fast.splitinf[l], full.splitinf[l]) << "l = " << l;
    ASSERT_LE(fast.splitinf[l], fast.first_segment_limit);
  }
  for (std::size_t l = 0; l < fast.opt1d.size(); ++l) {
    ASSERT_EQ(fast.opt1d[l], full.opt1d[l]) << l;
    ASSERT_EQ(fast.split1d[l], full.split1d[l]) << l;
  }
}

TEST(DiskRevolveBound, IdenticalOnAGridOfSmallInstances) {
  // Integer and non-integer costs (0.1, 0.7: rounding in every sum), 0 to 5 RAM slots.
  const double forward[] = {1.0, 0.1, 3.0};
  const double adjoint[] = {0.0, 1.0, 0.7};
  const double io[][2] = {{0, 0}, {2, 1}, {10, 2}, {5, 5}, {0.7, 0.1}, {40, 3}};
  for (double uf : forward) {
    for (double ub : adjoint) {
      for (const auto& w : io) {
        for (std::int64_t ram = 0; ram <= 5; ++ram) {
          for (bool one_read : {false, true}) {
            DiskModel m{ram, uf, ub, w[0], w[1], one_read};
            expect_identical(60, m);
          }
        }
      }
    }
  }
}

TEST(DiskRevolveBound, IdenticalOnRandomInstances) {
  std::mt19937_64 rng(20261203);
  std::uniform_int_distribution<int> slots(0, 12), integer(0, 20), kind(0, 2);
  std::uniform_real_distribution<double> real(0.0, 20.0);
  const auto cost = [&] {
    switch (kind(rng)) {
      case 0:
        return static_cast<double>(integer(rng));
      case 1:
        return real(rng);
      default:
        return static_cast<double>(integer(rng)) / 10.0;
    }
  };
  const Step lengths[] = {200, 700, 1500, 3000};
  int bounded = 0;
  for (int trial = 0; trial < 48; ++trial) {
    DiskModel m;
    m.ram_slots = slots(rng);
    m.forward_cost = std::max(0.05, cost());
    m.adjoint_cost = cost();
    m.write_cost = cost();
    m.read_cost = cost();
    m.one_read = trial % 4 == 3;
    const Step length = lengths[trial % 4];
    SCOPED_TRACE(testing::Message()
                 << "trial " << trial << ": c_m " << m.ram_slots << " uf " << m.forward_cost
                 << " ub " << m.adjoint_cost << " w " << m.write_cost << " r " << m.read_cost);
    expect_identical(length, m);
    if (DiskRevolveTables(length, m).first_segment_limit < length) ++bounded;
  }
  // The bound must actually cut the search on most instances, or the test proves nothing.
  EXPECT_GE(bounded, 24);
}

TEST(DiskRevolveBound, TheBenchmarkPlatformIsBoundedAndReplays) {
  // 10 free RAM slots, disk w = r = 5, uf = ub = 1: the bound is far below n.
  const DiskModel m{10, 1.0, 1.0, 5.0, 5.0, false};
  expect_identical(4000, m);
  const DiskRevolveTables t(4000, m);
  EXPECT_LT(t.first_segment_limit, 1000);
  const Chain chain(4001);
  const Platform platform = Platform::ram_disk(10, 4001, 5.0, 5.0);
  auto stream = disk_revolve(chain, platform);
  ASSERT_TRUE(stream.has_value());
  EXPECT_DOUBLE_EQ(simulate(*stream, chain, platform).cost, *disk_revolve_cost(chain, platform));
}

TEST(DiskRevolveBound, NoBoundWithoutForwardCost) {
  // uf = 0: recomputation is free, no segment is ever too long; the full search runs.
  const DiskModel m{2, 0.0, 1.0, 5.0, 5.0, false};
  EXPECT_EQ(DiskRevolveTables(300, m).first_segment_limit, 300);
  expect_identical(300, m);
}

}  // namespace
}  // namespace memsched
