// Tests of the persistent planner: chain A, the exhaustive oracle on thousands of random chains,
// the plain recurrence, discretisation never exceeding the budget, the memory-time curve.
#include "memsched/hetero/persistent.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "../../src/hetero/persistent_table.hpp"
#include "hetero/random_chain.hpp"
#include "memsched/errors.hpp"
#include "memsched/hetero/exhaustive.hpp"
#include "support/legacy_persistent_table.hpp"
#include "support/rotor_reference.hpp"

namespace memsched {
namespace {

using testing::chain_a;
using testing::random_chain;

PersistentOptions exact_options(bool rotor = false) {
  PersistentOptions o;
  o.exact = true;
  o.rotor_compatible = rotor;
  return o;
}

struct ChainARow {
  Bytes budget;
  double makespan;
  const char* schedule;
};

class ChainA : public ::testing::TestWithParam<bool> {};

TEST_P(ChainA, MatchesRotorsPublishedBehaviour) {
  // docs/theory/heterogeneous.md, test chain A (rotor v0.1, confirmed by the exhaustive oracle).
  const HeteroChain chain = chain_a();
  const ChainARow rows[] = {{13, 26, "CF_0 CF_1 Fe_2 L B_2 Fe_1 B_1 Fe_0 B_0"},
                            {14, 26, nullptr},
                            {15, 22, "CF_0 Fe_1 Fe_2 L B_2 B_1 Fe_0 B_0"},
                            {16, 22, nullptr},
                            {17, 21, "Fe_0 Fe_1 Fe_2 L B_2 B_1 B_0"},
                            {100, 21, "Fe_0 Fe_1 Fe_2 L B_2 B_1 B_0"}};
  for (Bytes budget = 0; budget <= 12; ++budget) {
    EXPECT_FALSE(plan_persistent(chain, budget, exact_options(GetParam()))) << budget;
  }
  for (const ChainARow& row : rows) {
    const auto plan = plan_persistent(chain, row.budget, exact_options(GetParam()));
    ASSERT_TRUE(plan) << row.budget;
    EXPECT_EQ(plan->makespan, row.makespan) << row.budget;
    if (row.schedule != nullptr) {
      EXPECT_EQ(to_string(plan->schedule), row.schedule);
    }
    const HeteroReport report = simulate(plan->schedule, chain, row.budget);
    EXPECT_EQ(report.makespan, row.makespan);
    EXPECT_LE(report.peak_bytes, row.budget);
  }
  EXPECT_EQ(chain.store_all_peak(), 17);
  EXPECT_EQ(chain.minimal_makespan(), 21);
}

INSTANTIATE_TEST_SUITE_P(ExactAndRotor, ChainA, ::testing::Bool());

TEST(ChainA, CurveHasThreeSteps) {
  const auto curve = memory_time_curve(chain_a(), exact_options());
  const std::vector<CurvePoint> expected = {{13, 26}, {15, 22}, {17, 21}};
  EXPECT_EQ(curve, expected);
}

struct OracleStats {
  std::int64_t points = 0;
  std::int64_t nonpersistent_better = 0;
  double worst_gain = 0.0;
  std::int64_t rotor_infeasible_exact_feasible = 0;
};

// Persistent DP = exhaustive search restricted to persistent schedules, at every budget from
// x_0 to the store-all peak; the unrestricted search is never worse; every plan replays legally.
void compare_with_oracle(std::uint64_t seed, int chains, Bytes max_tmp, OracleStats& stats) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> length(1, 4);
  for (int c = 0; c < chains; ++c) {
    const HeteroChain chain = random_chain(rng, length(rng), 4, max_tmp);
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak(); ++budget) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " chain " + std::to_string(c) + " budget " +
                   std::to_string(budget));
      ++stats.points;
      const auto plan = plan_persistent(chain, budget, exact_options());
      HeteroExhaustiveOptions persistent;
      persistent.persistent_only = true;
      const auto oracle = plan_exhaustive(chain, budget, persistent);
      ASSERT_EQ(plan.has_value(), oracle.has_value());
      const auto general = plan_exhaustive(chain, budget);
      ASSERT_EQ(general.has_value(), oracle.has_value());
      const auto rotor = plan_persistent(chain, budget, exact_options(true));
      if (rotor) {
        ASSERT_TRUE(plan);
        EXPECT_LE(plan->makespan, rotor->makespan);
        EXPECT_LE(simulate(rotor->schedule, chain, budget).peak_bytes, budget);
      } else if (plan) {
        ++stats.rotor_infeasible_exact_feasible;
      }
      if (!plan) continue;
      EXPECT_EQ(plan->makespan, oracle->makespan);
      const HeteroReport report = simulate(plan->schedule, chain, budget);
      EXPECT_EQ(report.makespan, plan->makespan);
      EXPECT_LE(report.peak_bytes, budget);
      EXPECT_EQ(simulate(oracle->schedule, chain, budget).makespan, oracle->makespan);
      EXPECT_LE(general->makespan, oracle->makespan);
      EXPECT_EQ(simulate(general->schedule, chain, budget).makespan, general->makespan);
      if (general->makespan < oracle->makespan) {
        ++stats.nonpersistent_better;
        stats.worst_gain = std::max(stats.worst_gain, 1.0 - general->makespan / oracle->makespan);
      }
    }
  }
}

TEST(PersistentOracle, RandomChainsWithoutTemporaries) {
  OracleStats stats;
  compare_with_oracle(1, 600, 0, stats);
  RecordProperty("points", std::to_string(stats.points));
  RecordProperty("nonpersistent_better", std::to_string(stats.nonpersistent_better));
  RecordProperty("worst_gain", std::to_string(stats.worst_gain));
  EXPECT_GT(stats.points, 5000);
}

// Stages whose recording forward has its own temporary (HeteroStage::recording_tmp_bytes, what
// memsched.torch measures): the DP still equals the persistent oracle at every budget, its
// plans replay within the budget, and the field changes answers (so the test can fail).
TEST(PersistentOracle, RandomChainsWithRecordingTemporaries) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> length(1, 4);
  std::uniform_int_distribution<Bytes> tmp(0, 3);
  std::int64_t points = 0;
  std::int64_t changed = 0;
  for (int c = 0; c < 300; ++c) {
    const HeteroChain base = random_chain(rng, length(rng), 4, 3);
    std::vector<HeteroStage> stages = base.stages();
    for (HeteroStage& s : stages) s.recording_tmp_bytes = tmp(rng);
    const HeteroChain chain(stages, base.loss());
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak(); ++budget) {
      SCOPED_TRACE("chain " + std::to_string(c) + " budget " + std::to_string(budget));
      ++points;
      const auto plan = plan_persistent(chain, budget, exact_options());
      HeteroExhaustiveOptions persistent;
      persistent.persistent_only = true;
      const auto oracle = plan_exhaustive(chain, budget, persistent);
      ASSERT_EQ(plan.has_value(), oracle.has_value());
      const auto before = plan_persistent(base, budget, exact_options());
      if (plan.has_value() != before.has_value() || (plan && plan->makespan != before->makespan)) {
        ++changed;
      }
      if (!plan) continue;
      EXPECT_EQ(plan->makespan, oracle->makespan);
      const HeteroReport report = simulate(plan->schedule, chain, budget);
      EXPECT_EQ(report.makespan, plan->makespan);
      EXPECT_LE(report.peak_bytes, budget);
      const auto rounded = plan_persistent(chain, budget, PersistentOptions{});
      if (rounded) {
        EXPECT_LE(simulate(rounded->schedule, chain, budget).peak_bytes, budget);
      }
    }
  }
  EXPECT_GT(points, 2000);
  EXPECT_GT(changed, 0);
}

TEST(PersistentOracle, RandomChainsWithTemporaries) {
  OracleStats stats;
  compare_with_oracle(2, 600, 3, stats);
  RecordProperty("points", std::to_string(stats.points));
  RecordProperty("nonpersistent_better", std::to_string(stats.nonpersistent_better));
  RecordProperty("rotor_q2", std::to_string(stats.rotor_infeasible_exact_feasible));
  RecordProperty("worst_gain", std::to_string(stats.worst_gain));
  // rotor's conservative check (Q2) misses schedules on these chains: the exact check must not.
  EXPECT_GT(stats.rotor_infeasible_exact_feasible, 0);
  EXPECT_GT(stats.points, 5000);
}

testing::RotorArrays arrays(const detail::UnitChain& u) {
  testing::RotorArrays a;
  a.num_stages = u.num_stages;
  a.cw = u.cw;
  a.cbw = u.cbw;
  a.ft = u.ft;
  a.bt = u.bt;
  a.fw = u.fw;
  a.bw = u.bw;
  return a;
}

class PlainRecurrence : public ::testing::TestWithParam<bool> {};

// The windowed, vectorised table equals a line-by-line transcription of rotor's recurrence in
// every cell, in both modes, including chains with zero-size values (quirk Q1).
TEST_P(PlainRecurrence, EveryCellAgrees) {
  const bool rotor = GetParam();
  std::mt19937_64 rng(3);
  for (int c = 0; c < 150; ++c) {
    const HeteroChain chain = random_chain(rng, 1 + c % 8, 5, c % 2 == 0 ? 0 : 4);
    const detail::UnitChain u = detail::to_units(chain, 1);
    const std::int64_t top = chain.store_all_peak() + 6;
    const detail::PersistentTable table(u, top, rotor);
    const testing::RotorReference reference(arrays(u), top, !rotor);
    const std::int64_t n = chain.num_stages();
    for (std::int64_t i = 0; i <= n; ++i) {
      for (std::int64_t l = i; l <= n; ++l) {
        for (std::int64_t m = 0; m <= top; ++m) {
          ASSERT_EQ(table.value(i, l, m), reference.value(i, l, m))
              << "chain " << c << " i " << i << " l " << l << " m " << m;
        }
      }
    }
  }
}

// Longer chains, memory ranges spanning many pruning blocks, one and two threads: the table
// pruned by block bounds equals, bit for bit, the table as it was before that pruning (kept in
// tests/support), with integer and non-integer times (rounding of the sums); with integer times
// (exact sums) it also equals the plain transcription of rotor's recurrence.
TEST_P(PlainRecurrence, LongerChainsAgreeInEveryCell) {
  const bool rotor = GetParam();
  std::mt19937_64 rng(29);
  std::uniform_real_distribution<double> scale(0.5, 1.5);
  for (int c = 0; c < 12; ++c) {
    const HeteroChain base = random_chain(rng, 12 + 3 * c, 12, c % 3 == 0 ? 0 : 6);
    std::vector<HeteroStage> stages = base.stages();
    const bool integer_times = c % 2 == 0;
    if (!integer_times) {
      for (HeteroStage& st : stages) {
        st.forward_time *= scale(rng);
        st.backward_time *= scale(rng);
      }
    }
    const HeteroChain chain(std::move(stages), base.loss());
    const detail::UnitChain u = detail::to_units(chain, 1);
    const std::int64_t top = chain.store_all_peak() / (1 + c % 3) + 6;
    const testing::RotorReference reference(arrays(u), top, !rotor);
    const testing::legacy::PersistentTable legacy(u, top, rotor);
    const std::int64_t n = chain.num_stages();
    for (int threads : {1, 2}) {
      const detail::PersistentTable table(u, top, rotor, threads);
      for (std::int64_t i = 0; i <= n; ++i) {
        for (std::int64_t l = i; l <= n; ++l) {
          for (std::int64_t m = 0; m <= top; ++m) {
            const double v = table.value(i, l, m);
            ASSERT_EQ(v, legacy.value(i, l, m)) << "chain " << c << " threads " << threads << " i "
                                                << i << " l " << l << " m " << m;
            if (integer_times) {
              ASSERT_EQ(v, reference.value(i, l, m));
            }
          }
        }
      }
      EXPECT_EQ(to_string(table.schedule(top - u.cw[0])),
                to_string(legacy.schedule(top - u.cw[0])));
    }
  }
}

// The split tests compare float lower bounds with a relative margin: at time scales where
// floats are subnormal or overflow (tiny and huge times) they must skip nothing that could
// win. The table equals the table before any pruning in every cell, one and two threads.
TEST_P(PlainRecurrence, ExtremeTimeScalesAgreeInEveryCell) {
  const bool rotor = GetParam();
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  for (const double scale : {1e-300, 1e-120, 1e-40, 1e30, 1e38, 1e200}) {
    const HeteroChain base = random_chain(rng, 24, 10, 5);
    std::vector<HeteroStage> stages = base.stages();
    for (HeteroStage& st : stages) {
      st.forward_time *= scale * jitter(rng);
      st.backward_time *= scale * jitter(rng);
    }
    HeteroLoss loss = base.loss();
    loss.time = scale;
    const HeteroChain chain(std::move(stages), loss);
    const detail::UnitChain u = detail::to_units(chain, 1);
    const std::int64_t top = chain.store_all_peak() / 2 + 40;
    const testing::legacy::PersistentTable legacy(u, top, rotor);
    const std::int64_t n = chain.num_stages();
    for (int threads : {1, 2}) {
      const detail::PersistentTable table(u, top, rotor, threads);
      for (std::int64_t i = 0; i <= n; ++i) {
        for (std::int64_t l = i; l <= n; ++l) {
          for (std::int64_t m = 0; m <= top; ++m) {
            ASSERT_EQ(table.value(i, l, m), legacy.value(i, l, m))
                << "scale " << scale << " threads " << threads << " i " << i << " l " << l << " m "
                << m;
          }
        }
      }
      EXPECT_EQ(to_string(table.schedule(top - u.cw[0])),
                to_string(legacy.schedule(top - u.cw[0])));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ExactAndRotor, PlainRecurrence, ::testing::Bool());

// Rounding sizes up to units never produces a plan above the budget in exact bytes, and never
// beats the byte-exact optimum.
TEST(Discretised, NeverExceedsTheBudget) {
  std::mt19937_64 rng(4);
  for (int c = 0; c < 300; ++c) {
    const HeteroChain chain = random_chain(rng, 1 + c % 12, 1000, c % 3 == 0 ? 0 : 700);
    std::uniform_int_distribution<Bytes> budget_pick(chain.x(0), chain.store_all_peak());
    for (int k = 0; k < 5; ++k) {
      const Bytes budget = budget_pick(rng);
      PersistentOptions o;
      o.num_units = 1 + c % 40;
      const auto plan = plan_persistent(chain, budget, o);
      const auto exact = plan_persistent(chain, budget, exact_options());
      if (!plan) continue;
      ASSERT_TRUE(exact);
      const HeteroReport report = simulate(plan->schedule, chain, budget);
      EXPECT_LE(report.peak_bytes, budget);
      EXPECT_EQ(report.makespan, plan->makespan);
      EXPECT_GE(plan->makespan, exact->makespan);
    }
  }
}

// With room for everything the plan stores everything, however coarse the units: rounding
// sizes up must not make the planner recompute just below store_all_peak().
TEST(Discretised, RoomForEverythingStoresEverything) {
  std::mt19937_64 rng(7);
  for (int c = 0; c < 100; ++c) {
    const HeteroChain chain = random_chain(rng, 1 + c % 12, 1000, c % 3 == 0 ? 0 : 700);
    for (const Bytes budget : {chain.store_all_peak(), chain.store_all_peak() + 1 + c}) {
      PersistentOptions o;
      o.num_units = 1 + c % 7;
      const auto plan = plan_persistent(chain, budget, o);
      ASSERT_TRUE(plan) << "chain " << c;
      const HeteroReport report = simulate(plan->schedule, chain, budget);
      EXPECT_EQ(report.forwards, chain.num_stages());
      EXPECT_EQ(report.recording_forwards, chain.num_stages());
      EXPECT_EQ(report.peak_bytes, chain.store_all_peak());
      EXPECT_EQ(plan->makespan, chain.minimal_makespan());
    }
  }
}

TEST(Discretised, MoreUnitsConvergeToTheExactOptimum) {
  std::mt19937_64 rng(5);
  const HeteroChain chain = random_chain(rng, 10, 100, 20);
  const Bytes budget = (chain.x(0) + chain.store_all_peak()) / 2;
  PersistentOptions o;
  o.num_units = budget;  // unit of one byte
  const auto fine = plan_persistent(chain, budget, o);
  const auto exact = plan_persistent(chain, budget, exact_options());
  ASSERT_TRUE(exact);
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->makespan, exact->makespan);
}

TEST(Curve, DecreasesToTheMinimalMakespanAndEachPointIsPlannable) {
  std::mt19937_64 rng(6);
  for (int c = 0; c < 40; ++c) {
    const HeteroChain chain = random_chain(rng, 1 + c % 10, 50, 10);
    for (const bool exact : {true, false}) {
      PersistentOptions o;
      o.exact = exact;
      o.num_units = 60;
      const auto curve = memory_time_curve(chain, o);
      ASSERT_FALSE(curve.empty());
      EXPECT_EQ(curve.back().makespan, chain.minimal_makespan());
      for (std::size_t k = 1; k < curve.size(); ++k) {
        EXPECT_LT(curve[k - 1].budget_bytes, curve[k].budget_bytes);
        EXPECT_GT(curve[k - 1].makespan, curve[k].makespan);
      }
      if (exact) {
        EXPECT_EQ(curve.back().budget_bytes, chain.store_all_peak());
        EXPECT_FALSE(plan_persistent(chain, curve.front().budget_bytes - 1, o));
      }
      const Bytes unit = exact ? 1 : std::max<Bytes>(1, chain.store_all_peak() / 60);
      for (const CurvePoint& p : curve) {
        PersistentOptions same = o;
        same.unit_bytes = exact ? 0 : unit;
        const auto plan = plan_persistent(chain, p.budget_bytes, same);
        ASSERT_TRUE(plan);
        EXPECT_EQ(plan->makespan, p.makespan);
        EXPECT_LE(simulate(plan->schedule, chain, p.budget_bytes).peak_bytes, p.budget_bytes);
      }
    }
  }
}

TEST(PlanPersistent, EdgeCases) {
  // Zero sizes everywhere: any budget works, nothing is recomputed.
  const HeteroChain empty({{1, 2, 0, 0, 0, 0}, {3, 4, 0, 0, 0, 0}}, {0, 0.5, 0});
  for (const bool exact : {false, true}) {
    PersistentOptions o;
    o.exact = exact;
    const auto plan = plan_persistent(empty, 0, o);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->makespan, 10.5);
    EXPECT_EQ(simulate(plan->schedule, empty, 0).peak_bytes, 0);
    EXPECT_EQ(memory_time_curve(empty, o), (std::vector<CurvePoint>{{0, 10.5}}));
  }
  // One stage; budgets around its only feasible peak; huge sizes with a large common divisor.
  const HeteroChain one({{1, 1, Bytes{3} << 40, Bytes{5} << 40, 0, 0}}, {Bytes{1} << 40, 0, 0});
  EXPECT_EQ(one.store_all_peak(), Bytes{12} << 40);  // x_0 + x̄_1 + ȳ_1 + ȳ_0 = 3 + 5 + 1 + 3
  PersistentOptions exact;
  exact.exact = true;
  EXPECT_FALSE(plan_persistent(one, (Bytes{12} << 40) - 1, exact));
  const auto plan = plan_persistent(one, Bytes{12} << 40, exact);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->unit_bytes, Bytes{1} << 40);
  EXPECT_EQ(to_string(plan->schedule), "Fe_0 L B_0");
  // Discretised: budget / 500 does not divide the sizes, so rounding up makes every budget below
  // the store-all peak infeasible (conservative, like rotor); the store-all peak itself is
  // decided in exact bytes, and so is anything above.
  EXPECT_FALSE(plan_persistent(one, (Bytes{12} << 40) - 1));
  const auto rounded = plan_persistent(one, Bytes{12} << 40);
  ASSERT_TRUE(rounded);
  EXPECT_EQ(to_string(rounded->schedule), "Fe_0 L B_0");
  PersistentOptions rotor;
  rotor.rotor_compatible = true;  // rotor itself rounds there too
  EXPECT_FALSE(plan_persistent(one, Bytes{12} << 40, rotor));
}

TEST(PlanPersistent, RejectsBadArguments) {
  const HeteroChain chain = chain_a();
  EXPECT_THROW(plan_persistent(chain, -1), std::invalid_argument);
  PersistentOptions o;
  o.num_units = 0;
  EXPECT_THROW(plan_persistent(chain, 20, o), std::invalid_argument);
  PersistentOptions small;
  small.max_table_bytes = 1000;
  // (Below the store-all peak: there the plan is known without a table.)
  EXPECT_THROW(plan_persistent(chain, chain.store_all_peak() - 1, small), std::invalid_argument);
  std::vector<HeteroStage> big(3000, HeteroStage{1, 1, 1, 1, 0, 0});
  const HeteroChain long_chain(big, {1, 0, 0});
  EXPECT_THROW(plan_persistent(long_chain, long_chain.store_all_peak() - 1), std::invalid_argument);
}

TEST(PlanPersistent, ThreadsGiveTheSamePlan) {
  std::mt19937_64 rng(8);
  const HeteroChain chain = random_chain(rng, 60, 1 << 20, 1 << 18);
  const Bytes budget = chain.store_all_peak() / 3;
  PersistentOptions one;
  one.num_units = 1500;
  PersistentOptions two = one;
  two.num_threads = 2;
  const auto a = plan_persistent(chain, budget, one);
  const auto b = plan_persistent(chain, budget, two);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->makespan, b->makespan);
  EXPECT_EQ(a->schedule, b->schedule);
  two.num_threads = 0;
  EXPECT_THROW(plan_persistent(chain, budget, two), std::invalid_argument);
}

TEST(PlanPersistent, EveryThreadCountGivesTheSameTableCellByCell) {
  // The tile pipeline: 2, 3 and 4 threads (and more, of which 4 are used) against one, every
  // cell compared with ==, in both modes, on chains whose lengths leave a partial last tile.
  std::mt19937_64 rng(11);
  for (const std::int64_t stages : {1, 6, 41}) {
    const HeteroChain chain = random_chain(rng, stages, 20, 6);
    for (const bool rotor : {false, true}) {
      const detail::UnitChain units = detail::to_units(chain, 1);
      const std::int64_t top = 300;
      const detail::PersistentTable one(units, top, rotor, 1);
      ASSERT_TRUE(std::isfinite(one.value(0, stages, top))) << stages;  // the whole chain fits
      for (const int threads : {2, 3, 4, 9}) {
        const detail::PersistentTable many(units, top, rotor, threads);
        for (std::int64_t i = 0; i <= stages; ++i) {
          for (std::int64_t l = i; l <= stages; ++l) {
            for (std::int64_t m = 0; m <= top; ++m) {
              ASSERT_EQ(one.value(i, l, m), many.value(i, l, m))
                  << stages << " stages, " << threads << " threads, (" << i << ", " << l << ", "
                  << m << ")";
            }
          }
        }
      }
    }
  }
}

TEST(PlanPersistent, LongChainPlansAndReplays) {
  std::mt19937_64 rng(7);
  const HeteroChain chain = random_chain(rng, 200, 1 << 20, 1 << 18);
  const Bytes budget = chain.store_all_peak() / 4;
  PersistentOptions o;
  o.num_units = 200;
  const auto plan = plan_persistent(chain, budget, o);
  ASSERT_TRUE(plan);
  const HeteroReport report = simulate(plan->schedule, chain, budget);
  EXPECT_LE(report.peak_bytes, budget);
  EXPECT_EQ(report.makespan, plan->makespan);
  EXPECT_GT(report.makespan, chain.minimal_makespan());
}

}  // namespace
}  // namespace memsched
