// Tests of the disk planners (Disk-Revolve, Periodic-Disk-Revolve, Multistage, Two-level): the
// paper listings, identities with H-Revolve, every schedule replayed by the simulator.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/multistage.hpp"
#include "memsched/plan/registry.hpp"
#include "memsched/plan/two_level.hpp"

namespace memsched {
namespace {

Platform ram_disk(std::int64_t ram, double wd, double rd) {
  return Platform::ram_disk(ram, kUnlimitedSlots, wd, rd);
}

TEST(DiskRevolve, PaperListing3) {
  // Aupy et al. 2016, Listing 3: l = 10, c_m = 2, uf = 1, ub = 0, w_d = 2, r_d = 1: makespan
  // 22; our n = 11 and cost 22 + 11 uf = 33.
  const Chain chain(11, 1.0, 0.0);
  const Platform platform = ram_disk(2, 2, 1);
  EXPECT_DOUBLE_EQ(*disk_revolve_cost(chain, platform), 33.0);
  auto stream = disk_revolve(chain, platform);
  const SimulationReport report = simulate(*stream, chain, platform);
  EXPECT_DOUBLE_EQ(report.cost, 33.0);
  EXPECT_DOUBLE_EQ(report.paper_makespan(chain), 22.0);
}

TEST(DiskRevolve, PaperListings4And5) {
  // l = 100, c_m = 2, uf = 1, ub = 0, w_d = 10, r_d = 2: 384 (multi-read), our cost 485.
  const Chain chain(101, 1.0, 0.0);
  const Platform platform = ram_disk(2, 10, 2);
  EXPECT_DOUBLE_EQ(*disk_revolve_cost(chain, platform), 485.0);
  auto stream = disk_revolve(chain, platform);
  const SimulationReport report = simulate(*stream, chain, platform);
  EXPECT_DOUBLE_EQ(report.paper_makespan(chain), 384.0);
  // The paper's schedule (disk at 0, 16, ..., 80) takes the last argmin; ours the fewest
  // disk reads, then forward steps, so the schedules may differ at equal cost: costs only.
  // The one-read restriction is never better, and strictly worse somewhere on this grid.
  EXPECT_GE(*disk_revolve_cost(chain, platform, true), 485.0);
}

TEST(PeriodicDiskRevolve, PaperListings6And7) {
  // Same instance as Listing 3: period 3, makespan 25, disk at 0, 3, 6.
  const Chain chain(11, 1.0, 0.0);
  const Platform platform = ram_disk(2, 2, 1);
  DiskModel model;
  model.ram_slots = 2;
  model.forward_cost = 1;
  model.adjoint_cost = 0;
  model.write_cost = 2;
  model.read_cost = 1;
  EXPECT_EQ(periodic_disk_period(model), 3);
  EXPECT_DOUBLE_EQ(*periodic_disk_revolve_cost(chain, platform), 36.0);
  auto stream = periodic_disk_revolve(chain, platform);
  const SimulationReport report = simulate(*stream, chain, platform);
  EXPECT_DOUBLE_EQ(report.paper_makespan(chain), 25.0);
  EXPECT_EQ(report.levels[1].writes, 3);
}

struct Costs {
  double uf, ub, wd, rd;
};

// The grid every disk planner is replayed on.
const Costs kCosts[] = {{1, 0, 2, 1}, {1, 1, 5, 5}, {2, 1, 1, 3}, {1, 3, 10, 2}, {1, 0, 0, 0}};

TEST(DiskRevolve, EqualsHRevolveWithUnlimitedDisk) {
  for (const Costs& c : kCosts) {
    for (Step n = 1; n <= 40; ++n) {
      for (std::int64_t ram = 0; ram <= 4; ++ram) {
        const Chain chain(n, c.uf, c.ub);
        const Platform platform = Platform::ram_disk(ram, n, c.wd, c.rd);
        const std::optional<double> disk = disk_revolve_cost(chain, platform);
        ASSERT_TRUE(disk.has_value()) << n << " " << ram;
        EXPECT_DOUBLE_EQ(*disk, *hrevolve_cost(chain, platform)) << n << " " << ram;
        auto stream = disk_revolve(chain, platform);
        EXPECT_DOUBLE_EQ(simulate(*stream, chain, platform).cost, *disk) << n << " " << ram;
        const double one_read = *disk_revolve_cost(chain, platform, true);
        EXPECT_GE(one_read, *disk);
        auto one = disk_revolve(chain, platform, true);
        EXPECT_DOUBLE_EQ(simulate(*one, chain, platform).cost, one_read);
        if (ram == 0) continue;
        const double periodic = *periodic_disk_revolve_cost(chain, platform);
        EXPECT_LE(*disk, periodic + 1e-9);
        auto p = periodic_disk_revolve(chain, Platform::ram_disk(ram, kUnlimitedSlots, c.wd, c.rd));
        EXPECT_DOUBLE_EQ(simulate(*p, chain, ram_disk(ram, c.wd, c.rd)).cost, periodic)
            << n << " " << ram;
      }
    }
  }
}

// The lexicographic minimum of (cost, disk reads, forward steps) over the Disk-Revolve
// recurrence (multi-read), by plain enumeration of every decision: the oracle of the tie rule.
struct Keyed {
  double cost;
  std::int64_t reads, forward;
  bool operator<(const Keyed& o) const {
    if (cost != o.cost) return cost < o.cost;
    return reads != o.reads ? reads < o.reads : forward < o.forward;
  }
};

Keyed lexicographic_disk_revolve(Step n, std::int64_t ram, const Costs& c) {
  const auto opt0 = [&](Step l) {
    const std::int64_t steps = l + 1;
    const std::int64_t advances = l == 0 ? 0 : revolve_advances(steps, std::min(ram, steps));
    return Keyed{c.uf * static_cast<double>(advances) + c.ub * static_cast<double>(steps), 0,
                 advances + steps};
  };
  std::vector<Keyed> one(static_cast<std::size_t>(n)), inf(static_cast<std::size_t>(n));
  for (Step l = 0; l < n; ++l) {
    Keyed best1 = opt0(l), bestinf = opt0(l);
    for (Step j = 1; j <= l; ++j) {
      const Keyed tail = opt0(l - j), head = one[static_cast<std::size_t>(j - 1)];
      best1 =
          std::min(best1, Keyed{((static_cast<double>(j) * c.uf + tail.cost) + head.cost) + c.rd,
                                1 + head.reads, j + tail.forward + head.forward});
      const Keyed tail_inf = inf[static_cast<std::size_t>(l - j)];
      bestinf = std::min(
          bestinf,
          Keyed{(((static_cast<double>(j) * c.uf + tail_inf.cost) + head.cost) + c.rd) + c.wd,
                1 + tail_inf.reads + head.reads, j + tail_inf.forward + head.forward});
    }
    one[static_cast<std::size_t>(l)] = best1;
    inf[static_cast<std::size_t>(l)] = bestinf;
  }
  return inf.back();
}

TEST(DiskRevolve, TiesToFewestReadsThenForwardSteps) {
  // Among equally cheap schedules the stream is the one with the fewest disk reads, then the
  // fewest forward steps (docs/multilevel.md, "Ties"): checked against plain enumeration.
  for (const Costs& c : {Costs{1, 1, 2, 2}, Costs{1, 0, 2, 1}, Costs{2, 1, 1, 3}}) {
    for (Step n = 1; n <= 40; ++n) {
      for (std::int64_t ram = 1; ram <= 4; ++ram) {
        const Chain chain(n, c.uf, c.ub);
        const Platform platform = ram_disk(ram, c.wd, c.rd);
        const Keyed expected = lexicographic_disk_revolve(n, ram, c);
        auto stream = disk_revolve(chain, platform);
        const SimulationReport report = simulate(*stream, chain, platform);
        EXPECT_DOUBLE_EQ(report.cost, expected.cost + static_cast<double>(n) * c.uf) << n;
        EXPECT_EQ(report.levels[1].reads, expected.reads) << n << " " << ram;
        EXPECT_EQ(report.forward_steps, expected.forward) << n << " " << ram;
      }
    }
  }
}

TEST(HRevolve, TiesToTheLargestSplit) {
  // Free RAM, disk w = r = 2: among equally cheap splits the largest j, fewer checkpoints
  // written. n = 20 with (1, 2) and (2, 4) slots: the equally cheap Pareto-optimal (forward
  // steps, writes) are (69, 9), (71, 7) and (54, 15), (58, 13), (62, 11); the rule takes 69
  // and 62 forward steps with 3 and 2 disk writes (the smallest j took 71 and 54, with 2 and 4).
  const Chain chain(20, 1.0, 1.0);
  const std::pair<std::int64_t, std::int64_t> slots[] = {{1, 2}, {2, 4}};
  const std::int64_t forward[] = {69, 62}, disk_writes[] = {3, 2};
  for (int i = 0; i < 2; ++i) {
    const Platform platform(
        {StorageLevel{"ram", slots[i].first, 0, 0}, StorageLevel{"disk", slots[i].second, 2, 2}});
    auto stream = hrevolve(chain, platform);
    const SimulationReport report = simulate(*stream, chain, platform);
    EXPECT_DOUBLE_EQ(report.cost, *hrevolve_cost(chain, platform));
    EXPECT_EQ(report.forward_steps, forward[i]);
    EXPECT_EQ(report.levels[1].writes, disk_writes[i]);
  }
}

TEST(DiskRevolve, OneReadLosesSomewhere) {
  bool strictly = false;
  for (Step n = 2; n <= 60 && !strictly; ++n) {
    const Chain chain(n, 1.0, 0.0);
    const Platform platform = ram_disk(2, 10, 1);
    strictly = *disk_revolve_cost(chain, platform, true) > *disk_revolve_cost(chain, platform);
  }
  EXPECT_TRUE(strictly);
}

TEST(HRevolve, MoreSlotsOrLevelsNeverCostMore) {
  for (const Costs& c : kCosts) {
    for (Step n = 1; n <= 25; ++n) {
      const Chain chain(n, c.uf, c.ub);
      for (std::int64_t ram = 1; ram <= 3; ++ram) {
        for (std::int64_t disk = 0; disk <= 3; ++disk) {
          const Platform base({{"ram", ram, 0, 0}, {"disk", disk, c.wd, c.rd}});
          const double cost = *hrevolve_cost(chain, base);
          EXPECT_LE(
              *hrevolve_cost(chain, Platform({{"ram", ram + 1, 0, 0}, {"disk", disk, c.wd, c.rd}})),
              cost);
          EXPECT_LE(
              *hrevolve_cost(chain, Platform({{"ram", ram, 0, 0}, {"disk", disk + 1, c.wd, c.rd}})),
              cost);
          EXPECT_LE(*hrevolve_cost(chain, Platform({{"ram", ram, 0, 0},
                                                    {"disk", disk, c.wd, c.rd},
                                                    {"pfs", 2, c.wd + 1, c.rd + 1}})),
                    cost);
          EXPECT_LE(cost, *hrevolve_cost(chain, Platform::ram(ram)));
        }
      }
    }
  }
}

TEST(Multistage, RevolveForwardStepsWithinCapacities) {
  for (Step n = 1; n <= 60; ++n) {
    for (std::int64_t ram = 0; ram <= 3; ++ram) {
      for (std::int64_t disk = 0; disk <= 3; ++disk) {
        if (n > 1 && ram + disk == 0) continue;
        const Chain chain(n);
        const Platform platform = Platform::ram_disk(ram, disk, 3, 2);
        auto stream = multistage(chain, platform);
        ASSERT_TRUE(stream.has_value());
        const SimulationReport r = simulate(*stream, chain, platform);
        EXPECT_EQ(r.forward_steps, revolve_forward_steps(n, std::min<std::int64_t>(ram + disk, n)));
        EXPECT_LE(r.levels[0].peak, ram);
        EXPECT_LE(r.levels[1].peak, disk);
      }
    }
  }
}

TEST(TwoLevel, ForwardStepsAndReplay) {
  for (Step n = 1; n <= 60; ++n) {
    for (Step period = 1; period <= 12; ++period) {
      for (std::int64_t ram = 1; ram <= 3; ++ram) {
        const Chain chain(n);
        const Platform platform = ram_disk(ram, 4, 1);
        auto stream = two_level(chain, platform, period);
        ASSERT_TRUE(stream.has_value());
        const SimulationReport r = simulate(*stream, chain, platform);
        // n for the first sweep; per period its recording runs plus Revolve's advances with
        // the disk checkpoint as x_0 (ram + 1 slots); the last period from the working buffer.
        const Step periods = (n - 1) / period;
        const Step last = n - periods * period;
        std::int64_t expected =
            periods * period + revolve_forward_steps(last, std::min<std::int64_t>(ram, last));
        for (Step i = 0; i < periods; ++i) {
          expected += revolve_forward_steps(period, std::min<std::int64_t>(ram + 1, period));
        }
        EXPECT_EQ(r.forward_steps, expected) << n << " " << period << " " << ram;
        EXPECT_EQ(r.levels[1].writes, periods);
      }
    }
  }
}

TEST(Registry, MultilevelPlannersMatchTheirPredictions) {
  const Chain chain(30, 1.0, 0.5);
  for (const char* name :
       {"hrevolve", "disk-revolve", "periodic-disk-revolve", "multistage", "two-level"}) {
    const PlannerInfo& planner = find_chain_planner(name);
    PlanOptions options;
    auto stream = planner.plan(chain, Platform::ram_disk(3, 30, 4, 2), options);
    ASSERT_NE(stream, nullptr) << name;
    const SimulationReport r = simulate(*stream, chain, Platform::ram_disk(3, 30, 4, 2));
    if (planner.predicted_cost) {
      EXPECT_DOUBLE_EQ(*planner.predicted_cost(chain, Platform::ram_disk(3, 30, 4, 2), options),
                       r.cost)
          << name;
    }
  }
}

}  // namespace
}  // namespace memsched
