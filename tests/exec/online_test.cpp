// Tests of the executor's adapter for online planners (exec/online.hpp): driven as the
// executor drives it, every planner gives the schedule of simulated arrival.
#include "memsched/exec/online.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/online.hpp"
#include "memsched/plan/online_baselines.hpp"
#include "memsched/plan/online_two_level.hpp"

namespace memsched {
namespace {

// Pull actions one by one, stop after the Forward to x_n, call finish(n), pull the rest.
Schedule drive(OnlinePlanner& planner, Step n) {
  OnlineSchedule schedule(planner);
  Schedule actions;
  while (true) {
    const std::optional<Action> a = schedule.next();
    EXPECT_TRUE(a.has_value());
    if (!a) return actions;
    actions.push_back(*a);
    if (a->kind == ActionKind::kForward && a->end == n) break;
  }
  schedule.finish(n);
  while (std::optional<Action> a = schedule.next()) actions.push_back(*a);
  return actions;
}

TEST(OnlineSchedule, DrivenLikeTheExecutorMatchesSimulatedArrival) {
  DiskModel disk;
  disk.ram_slots = 3;
  const std::function<std::unique_ptr<OnlinePlanner>()> planners[] = {
      [] { return std::make_unique<OnlineCheckpointer>(1); },
      [] { return std::make_unique<OnlineCheckpointer>(5); },
      [] { return std::make_unique<OnlinePeriodic>(4, 3); },
      [] { return std::make_unique<OnlineRevolve>(3); },
      [disk] { return std::make_unique<OnlineTwoLevel>(6, disk); },
  };
  const Platform platform = Platform::ram_disk(5, 100, 0.0, 0.0);
  for (const auto& make : planners) {
    for (Step n : {1, 2, 3, 17, 250}) {
      const std::unique_ptr<OnlinePlanner> planner = make();
      const SimulationReport driven = simulate(drive(*planner, n), Chain(n), platform);
      OnlinePlannerStream stream(make(), n);
      const SimulationReport arrival = simulate(stream, Chain(n), platform);
      EXPECT_EQ(driven.forward_steps, arrival.forward_steps) << "n " << n;
      EXPECT_EQ(driven.levels[0].peak, arrival.levels[0].peak) << "n " << n;
    }
  }
}

TEST(OnlineSchedule, FinishMustMatchTheStepsYielded) {
  OnlineCheckpointer planner(3);
  OnlineSchedule schedule(planner);
  schedule.next();
  EXPECT_THROW(schedule.finish(5), std::logic_error);
  OnlineCheckpointer begun(3);
  begun.begin_step();
  EXPECT_THROW(OnlineSchedule{begun}, std::invalid_argument);
}

}  // namespace
}  // namespace memsched
