// Tests of two-level online checkpointing: legality over a grid of lengths, periods and slots
// in both end modes, identities with the one-level online planner, and its cost against the
// offline two-level schedule with the same period.
#include "memsched/plan/online_two_level.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/two_level.hpp"

namespace memsched {
namespace {

Platform ram_and_disk(std::int64_t ram, std::int64_t disk, double write = 2, double read = 1) {
  return Platform({StorageLevel{"ram", ram, 0, 0}, StorageLevel{"disk", disk, write, read}});
}

DiskModel model(std::int64_t ram, double write = 2, double read = 1) {
  DiskModel m;
  m.ram_slots = ram;
  m.write_cost = write;
  m.read_cost = read;
  return m;
}

SimulationReport run(Step n, Step period, std::int64_t ram, std::int64_t disk, OnlineEnd end) {
  OnlinePlannerStream stream(std::make_unique<OnlineTwoLevel>(period, model(ram), disk), n, end);
  return simulate(stream, Chain(n), ram_and_disk(ram, disk));
}

TEST(OnlineTwoLevel, LegalForEveryLengthPeriodAndSlotCount) {
  for (OnlineEnd end : {OnlineEnd::kAfterLastStep, OnlineEnd::kBeforeLastStep}) {
    for (std::int64_t ram = 1; ram <= 4; ++ram) {
      for (Step period = 1; period <= 9; ++period) {
        for (std::int64_t disk :
             {std::int64_t{0}, std::int64_t{1}, std::int64_t{3}, kUnlimitedSlots}) {
          for (Step n = 1; n <= 60; ++n) {
            SCOPED_TRACE("n " + std::to_string(n) + " period " + std::to_string(period) + " ram " +
                         std::to_string(ram) + " disk " + std::to_string(disk));
            const SimulationReport report = run(n, period, ram, disk, end);
            EXPECT_LE(report.levels[0].peak, ram);
            EXPECT_LE(report.levels[1].peak, disk);
            EXPECT_EQ(report.adjoint_steps, n);
          }
        }
      }
    }
  }
}

// Without disk, or with a period no run reaches, it is the one-level online planner.
TEST(OnlineTwoLevel, WithoutDiskPeriodsItIsTheOnlineCheckpointer) {
  for (std::int64_t ram = 1; ram <= 5; ++ram) {
    for (Step n = 1; n <= 80; ++n) {
      for (auto [period, disk] : {std::pair<Step, std::int64_t>{3, 0}, {n, kUnlimitedSlots}}) {
        OnlinePlannerStream two_level(std::make_unique<OnlineTwoLevel>(period, model(ram), disk),
                                      n);
        OnlineStream one_level(n, ram);
        EXPECT_EQ(collect(two_level), collect(one_level)) << "n " << n << " ram " << ram;
      }
    }
  }
}

// The sweep writes what the offline two-level schedule writes; the difference is the online
// placement in the last period, which the offline schedule reverses from its first pass.
TEST(OnlineTwoLevel, WritesWhatTheOfflineScheduleWrites) {
  for (std::int64_t ram = 1; ram <= 4; ++ram) {
    for (Step period = 1; period <= 8; ++period) {
      for (Step n = 1; n <= 50; ++n) {
        const Platform platform = ram_and_disk(ram, kUnlimitedSlots);
        const SimulationReport online =
            run(n, period, ram, kUnlimitedSlots, OnlineEnd::kBeforeLastStep);
        std::optional<TwoLevelStream> offline = two_level(Chain(n), platform, period);
        ASSERT_TRUE(offline);
        const SimulationReport reference = simulate(*offline, Chain(n), platform);
        EXPECT_EQ(online.levels[1].writes, reference.levels[1].writes) << n;
      }
    }
  }
}

// Against Periodic-Disk-Revolve, which knows n: the online sweep pays the disk write and read
// of a period it cannot know is the last, and the online placement in the last period. Over
// this grid the worst ratio is 1.029 (n = 300, one RAM slot, w_d = 20, r_d = 0).
TEST(OnlineTwoLevel, WithinThreePercentOfPeriodicDiskRevolve) {
  for (std::int64_t ram = 1; ram <= 6; ++ram) {
    for (double write : {0.0, 2.0, 5.0, 20.0}) {
      for (double read : {0.0, 1.0, 5.0, 20.0}) {
        for (Step n : {300, 1000, 3000}) {
          const Platform platform = ram_and_disk(ram, kUnlimitedSlots, write, read);
          std::optional<OnlinePlannerStream> online = online_two_level(Chain(n), platform);
          const std::optional<double> offline = periodic_disk_revolve_cost(Chain(n), platform);
          ASSERT_TRUE(online && offline);
          const double cost = simulate(*online, Chain(n), platform).cost;
          EXPECT_GE(cost, *disk_revolve_cost(Chain(n), platform));
          EXPECT_LE(cost, 1.03 * *offline)
              << "n " << n << " ram " << ram << " w " << write << " r " << read;
        }
      }
    }
  }
}

TEST(OnlineTwoLevel, RejectsBadArgumentsAndProtocol) {
  EXPECT_THROW(OnlineTwoLevel(0, model(1)), std::invalid_argument);
  EXPECT_THROW(OnlineTwoLevel(1, model(0)), std::invalid_argument);
  EXPECT_THROW(OnlineTwoLevel(1, model(1), -1), std::invalid_argument);
  EXPECT_THROW(OnlineTwoLevel(1, model(1, -1.0)), std::invalid_argument);
  EXPECT_THROW(OnlineTwoLevel(1, model(1, 0.0, std::nan(""))), std::invalid_argument);
  OnlineTwoLevel planner(2, model(2));
  EXPECT_THROW(planner.finish(), std::logic_error);
  planner.begin_step();
  planner.begin_last_step();
  EXPECT_THROW(planner.begin_step(), std::logic_error);
  planner.finish();
  EXPECT_THROW(planner.finish(), std::logic_error);
  EXPECT_THROW(OnlinePlannerStream(nullptr, 3), std::invalid_argument);
  EXPECT_THROW(OnlinePlannerStream(std::make_unique<OnlineTwoLevel>(2, model(2)), 0),
               std::invalid_argument);
}

TEST(OnlineTwoLevel, DefaultPeriodIsPeriodicDiskRevolves) {
  const Chain chain(200);
  const Platform platform = ram_and_disk(3, kUnlimitedSlots, 5, 5);
  std::optional<OnlinePlannerStream> stream = online_two_level(chain, platform);
  ASSERT_TRUE(stream.has_value());
  const SimulationReport report = simulate(*stream, chain, platform);
  EXPECT_GT(report.levels[1].writes, 0);
  EXPECT_FALSE(online_two_level(chain, Platform::ram(3)).has_value());
  EXPECT_THROW(online_two_level(chain, platform, Step{0}), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
