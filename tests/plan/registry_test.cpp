// Properties every registered chain planner must have, whatever it is: its schedules replay
// legally on a grid of chains and platforms, it keeps its promised cost, and it never beats
// the exhaustive optimum on tiny instances (which would mean the simulator or the oracle is
// wrong).
#include "memsched/plan/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "memsched/chain/simulate.hpp"
#include "support/exhaustive.hpp"

namespace memsched {
namespace {

std::vector<Platform> platforms() {
  std::vector<Platform> result;
  for (std::int64_t c : {0, 1, 2, 3, 5, 8}) result.push_back(Platform::ram(c));
  result.push_back(Platform::ram_disk(1, kUnlimitedSlots, 2.0, 1.0));
  result.push_back(Platform::ram_disk(2, 3, 0.5, 3.0));
  result.push_back(
      Platform({{"a", 1, 1.0, 1.0}, {"b", 2, 2.0, 0.5}, {"c", kUnlimitedSlots, 5, 5}}));
  return result;
}

class EveryPlanner : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryPlanner, ReplaysLegallyAndKeepsItsPromise) {
  const PlannerInfo& planner = find_chain_planner(GetParam());
  for (Step n = 1; n <= 30; ++n) {
    for (const Chain& chain : {Chain(n), Chain(n, 1.0, 0.0), Chain(n, 2.0, 3.0)}) {
      for (const Platform& platform : platforms()) {
        std::unique_ptr<ActionStream> stream = planner.plan(chain, platform, {});
        if (!stream) continue;
        const SimulationReport report = simulate(*stream, chain, platform);
        ASSERT_EQ(report.adjoint_steps, n);
        if (planner.predicted_cost) {
          if (std::optional<double> promise = planner.predicted_cost(chain, platform, {})) {
            ASSERT_NEAR(report.cost, *promise, 1e-9 * std::max(1.0, *promise))
                << planner.name << " n = " << n;
          }
        }
      }
    }
  }
}

// The optimum with slots holding states or tapes, computed once per instance for all planners.
double exhaustive_cost(Step n, std::size_t platform_index) {
  static std::map<std::pair<Step, std::size_t>, double> cache;
  const auto key = std::make_pair(n, platform_index);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const auto best =
        testing::exhaustive_optimum(Chain(n, 1.0, 2.0), platforms()[platform_index], {true});
    it = cache.emplace(key, best ? best->cost : INFINITY).first;
  }
  return it->second;
}

TEST_P(EveryPlanner, NeverBeatsTheExhaustiveOptimum) {
  const PlannerInfo& planner = find_chain_planner(GetParam());
  const std::vector<Platform> all = platforms();
  // The search that lets slots hold tapes too grows fast: tiny chains, finite levels only.
  for (Step n = 1; n <= 5; ++n) {
    for (std::size_t p = 0; p < all.size(); ++p) {
      const Platform& platform = all[p];
      if (platform.total_slots() == kUnlimitedSlots || platform.num_levels() > 2) continue;
      if (n == 5 && (platform.num_levels() > 1 || platform.total_slots() > 5)) continue;
      const Chain chain(n, 1.0, 2.0);
      std::unique_ptr<ActionStream> stream = planner.plan(chain, platform, {});
      if (!stream) continue;
      const double cost = simulate(*stream, chain, platform).cost;
      ASSERT_GE(cost + 1e-9, exhaustive_cost(n, p)) << planner.name << " n = " << n;
    }
  }
}

std::vector<std::string> planner_names() {
  std::vector<std::string> names;
  for (const PlannerInfo& planner : chain_planners()) names.push_back(planner.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryPlanner, ::testing::ValuesIn(planner_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name;
                           for (char ch : param_info.param) {
                             if (std::isalnum(static_cast<unsigned char>(ch))) name += ch;
                           }
                           return name;
                         });

TEST(Registry, UnknownNameListsKnownOnes) {
  try {
    find_chain_planner("magic");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("revolve"), std::string::npos);
  }
}

}  // namespace
}  // namespace memsched
