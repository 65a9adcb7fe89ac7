// Tests of the up-front limits and the summaries without streaming: Revolve's summary equals
// the simulated stream on a grid of n and c, and every registry planner refuses, before
// allocating, the requests the limits name, with its estimate in the message.
#include "memsched/plan/limits.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

TEST(RevolveSummary, EqualsTheSimulatedStreamOnAGrid) {
  for (Step n = 1; n <= 160; ++n) {
    for (std::int64_t c = 1; c <= 12; ++c) {
      const Chain chain(n, 1.5, 2.0);
      const Platform platform({{"ram", c, 0.25, 0.5}});
      const std::optional<SimulationReport> summary = revolve_summary(chain, platform);
      ASSERT_TRUE(summary) << n << " " << c;
      std::optional<RevolveStream> stream = revolve(chain, platform);
      const SimulationReport simulated = simulate(*stream, chain, platform);
      EXPECT_EQ(summary->forward_steps, simulated.forward_steps) << n << " " << c;
      EXPECT_EQ(summary->recorded_steps, simulated.recorded_steps);
      EXPECT_EQ(summary->adjoint_steps, simulated.adjoint_steps);
      EXPECT_EQ(summary->num_actions, simulated.num_actions) << n << " " << c;
      EXPECT_EQ(summary->reverse_sweeps, simulated.reverse_sweeps);
      EXPECT_EQ(summary->peak_work_tapes, simulated.peak_work_tapes);
      EXPECT_EQ(summary->levels, simulated.levels) << n << " " << c;
      EXPECT_NEAR(summary->cost, simulated.cost, 1e-9 * simulated.cost);
    }
  }
}

TEST(RevolveSummary, EqualsTheSimulatedStreamOnLargerChains) {
  for (const auto& [n, c] : {std::pair<Step, std::int64_t>{100000, 10},
                             {54321, 3},
                             {9999, 50},
                             {70000, 1000},
                             {1800, 1800}}) {
    const Chain chain(n);
    const Platform platform = Platform::ram(c);
    const std::optional<SimulationReport> summary = revolve_summary(chain, platform);
    ASSERT_TRUE(summary);
    std::optional<RevolveStream> stream = revolve(chain, platform);
    const SimulationReport simulated = simulate(*stream, chain, platform);
    EXPECT_EQ(summary->num_actions, simulated.num_actions) << n << " " << c;
    EXPECT_EQ(summary->levels, simulated.levels) << n << " " << c;
    EXPECT_EQ(summary->cost, simulated.cost);
  }
}

TEST(RevolveSummary, TooDeepARecursionGivesNoSummary) {
  // With slots near n the controller's recursion is n deep: no summary (the CLI streams).
  EXPECT_FALSE(revolve_summary(Chain(5000), Platform::ram(5000)));
}

TEST(RevolveSummary, IsImmediateForABillionSteps) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<SimulationReport> summary =
      revolve_summary(Chain(1000000000), Platform::ram(10));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->forward_steps, revolve_forward_steps(1000000000, 10));
  EXPECT_EQ(summary->levels[0].peak, 10);
  EXPECT_EQ(summary->levels[0].reads, 999999999);
  EXPECT_LT(seconds, 1.0);
}

TEST(RevolveSummary, NoneForPerStepCostsOrNoSlot) {
  EXPECT_FALSE(revolve_summary(Chain({1.0, 2.0}, {1.0, 1.0}), Platform::ram(2)));
  EXPECT_FALSE(revolve_summary(Chain(5), Platform::ram(0)));
}

// The message names the planner, the size, the estimate and the limit.
void expect_refused(const std::string& planner, const Chain& chain, const Platform& platform,
                    const std::string& what, PlanOptions options = {}) {
  const PlannerInfo& info = find_chain_planner(planner);
  const auto start = std::chrono::steady_clock::now();
  try {
    info.plan(chain, platform, options);
    ADD_FAILURE() << planner << " was not refused";
  } catch (const std::length_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(planner + ": refused before planning"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_NE(message.find("(limit "), std::string::npos) << message;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5)
      << planner;
}

TEST(PlanLimits, RefuseWhatCannotFinish) {
  const Platform disk({{"ram", 10, 0, 0}, {"disk", kUnlimitedSlots, 2, 1}});
  // Disk-Revolve's table is Theta(n J) for its first-segment bound J (J = 14 here), about 80
  // bytes per step: 10^6 steps plan in seconds, 10^8 would take about 7.6 GiB.
  expect_refused("disk-revolve", Chain(100000000), disk, "MiB");
  // H-Revolve's pruned split search is counted as it runs
  // (HRevolvePruned.CountsItsOperationsAndStopsPastTheLimit); up front only its table's bytes and,
  // for costs that are not monotone over the levels, the general recurrence's Theta(n^2 K prod (c_k
  // + 1)) operations.
  expect_refused("hrevolve", Chain(100000000), disk, "MiB");
  expect_refused("hrevolve", Chain(10000),
                 Platform({{"ram", 10, 0, 0}, {"ssd", 10, 3, 3}, {"disk", 10, 2, 2}}),
                 "operations");
  // The period search of the periodic disk planners solves Disk-Revolve for m_max - 1 steps,
  // m_max = C(c + 2, 2) = 501,501 here: about 1.3e11 operations.
  const Platform big_ram({{"ram", 1000, 0, 0}, {"disk", kUnlimitedSlots, 2, 1}});
  expect_refused("periodic-disk-revolve", Chain(200000), big_ram, "1.3e+11 operations");
  expect_refused("online-two-level", Chain(200000), big_ram, "1.3e+11 operations");
  expect_refused("mixed", Chain(100000), Platform::ram(10), "1.1e+11 operations");
  expect_refused("store-all", Chain(1000000000000), Platform::ram(kUnlimitedSlots),
                 "forward and adjoint steps");
  expect_refused("store-all", Chain(100000000), Platform::ram(kUnlimitedSlots),
                 "1e+08 checkpoints");
  expect_refused("recompute-all", Chain(1000000), Platform::ram(1), "5e+11");
  expect_refused("two-level", Chain(kMaxSteps), disk, "forward and adjoint steps");
  expect_refused("online-two-level", Chain(kMaxSteps), disk, "forward and adjoint steps");
  expect_refused("online", Chain(kMaxSteps), Platform::ram(10), "forward and adjoint steps");
  expect_refused("revolve", Chain(100000000000), Platform::ram(10), "forward and adjoint steps");
}

TEST(PlanLimits, AutoSkipsRefusedPlanners) {
  // 1000 RAM slots: H-Revolve's table would take 3 GiB, the periodic planners' period search
  // 1.3e11 operations.
  const Platform disk({{"ram", 1000, 0, 0}, {"disk", kUnlimitedSlots, 2, 1}});
  const auto start = std::chrono::steady_clock::now();
  const std::optional<PlannerChoice> choice = choose_chain_planner(Chain(200000), disk, {});
  ASSERT_TRUE(choice);
  bool disk_revolve = false;
  for (const auto& [name, cost] : choice->costs) {
    EXPECT_NE(name, "hrevolve");
    EXPECT_NE(name, "periodic-disk-revolve");
    EXPECT_NE(name, "online-two-level");
    disk_revolve = disk_revolve || name == "disk-revolve";
  }
  EXPECT_TRUE(disk_revolve);  // Theta(n J): planned, not refused
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60);
}

TEST(PlanLimits, AutoListsEveryRefusalWhenAllRefuse) {
  const Platform disk({{"ram", 10, 0, 0}, {"disk", kUnlimitedSlots, 2, 1}});
  for (const Chain& chain : {Chain(1000000000000), Chain(kMaxSteps)}) {
    std::vector<std::string> refusals;  // what each planner auto tries says on its own
    for (const PlannerInfo& planner : chain_planners()) {
      if (chain.num_steps() > planner.auto_max_steps) continue;
      try {
        check_plan_limits(planner.name, chain, disk, {});
      } catch (const std::length_error& e) {
        refusals.emplace_back(e.what());
      } catch (const std::overflow_error& e) {  // Revolve's closed form beyond 64 bits
        refusals.emplace_back(e.what());
      }
    }
    ASSERT_GE(refusals.size(), 3U);
    try {
      choose_chain_planner(chain, disk, {});
      FAIL() << "auto chose a planner for " << chain.num_steps() << " steps";
    } catch (const std::length_error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("auto: every planner refused", 0), 0U) << message;
      for (const std::string& refusal : refusals) {
        EXPECT_NE(message.find(refusal), std::string::npos) << refusal << " not in " << message;
      }
    }
  }
}

TEST(PlanLimits, LimitsDoNotTouchOrdinaryRequests) {
  const Platform disk({{"ram", 10, 0, 0}, {"disk", kUnlimitedSlots, 2, 1}});
  for (const PlannerInfo& planner : chain_planners()) {
    EXPECT_NO_THROW(check_plan_limits(planner.name, Chain(10000), disk, {})) << planner.name;
  }
  // Revolve's summary needs no stream: a billion steps pass the table check.
  EXPECT_NO_THROW(check_plan_limits("revolve", Chain(1000000000), Platform::ram(10), {}, false));
  EXPECT_NO_THROW(check_plan_limits("revolve", Chain(1000000000), Platform::ram(10), {}));
}

}  // namespace
}  // namespace memsched
