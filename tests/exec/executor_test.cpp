// Tests of the executor: every planner's schedule runs the Burgers adjoint to a gradient
// bitwise equal to store-all, on RAM, disk, compressed and mixed levels, in joint and split
// mode, driven by callbacks, a cursor or online; the replay check catches hidden state.
#include "memsched/exec/executor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "burgers_support.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/exec/cursor.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/exec/online.hpp"
#include "memsched/plan/online_baselines.hpp"
#include "memsched/plan/online_two_level.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/registry.hpp"
#include "memsched/plan/revolve.hpp"
#include "temp_dir.hpp"

namespace memsched {
namespace {

using testing::bitwise_equal;
using testing::ram_slots;

struct Reference {
  Burgers model{32, 0.01};
  Step n;
  Burgers::State u0 = model.initial_state();
  Burgers::Adjoint gradient;
  explicit Reference(Step steps, std::int64_t nx = 32) : model(nx, 0.01), n(steps) {
    u0 = model.initial_state();
    burgers_gradient_store_all(model, u0, n, gradient);
  }
};

TEST(Executor, EveryRegistryPlannerMatchesStoreAllBitwise) {
  Reference ref(40);
  for (const PlannerInfo& planner : chain_planners()) {
    for (std::int64_t slots : {1, 2, 3, 5, 8, 40}) {
      const Chain chain(ref.n);
      const Platform platform = Platform::ram(slots);
      std::unique_ptr<ActionStream> schedule = planner.plan(chain, platform, PlanOptions{});
      if (!schedule) continue;
      auto ram = ram_slots(ref.model, slots);
      Burgers::Adjoint y;
      const ExecutionProfile p = run_adjoint(ref.model, ref.u0, y, *schedule, ref.n, {ram.get()});
      EXPECT_TRUE(bitwise_equal(y, ref.gradient)) << planner.name << " slots " << slots;
      ASSERT_TRUE(p.plan.has_value());
      EXPECT_EQ(p.reverse.count, ref.n);
      // Joint mode runs the planned recording steps inside the adjoint callback.
      EXPECT_EQ(p.forward_steps() - p.unplanned_forward_steps,
                p.plan->forward_steps - p.plan->recorded_steps)
          << planner.name << " slots " << slots;
      EXPECT_LE(ram->counters().peak_checkpoints, slots);
    }
  }
}

// Multi-level planners on a RAM level and a real disk level (files in a temporary folder).
TEST(Executor, EveryRegistryPlannerOnRamAndDiskMatchesStoreAllBitwise) {
  Reference ref(40);
  testing::TempDir dir("exec-registry-disk");
  std::int64_t runs_using_disk = 0;
  for (const PlannerInfo& planner : chain_planners()) {
    for (std::int64_t in_ram : {1, 2, 4}) {
      for (std::int64_t on_disk : {2, 6, 40}) {
        const Chain chain(ref.n);
        const Platform platform = Platform::ram_disk(in_ram, on_disk, 2.0, 2.0);
        std::unique_ptr<ActionStream> schedule = planner.plan(chain, platform, PlanOptions{});
        if (!schedule) continue;
        auto ram = ram_slots(ref.model, in_ram);
        auto disk = make_file_storage(dir.path(), 4 * (testing::state_bytes(ref.model) + 64) *
                                                      static_cast<std::uint64_t>(on_disk));
        Burgers::Adjoint y;
        const ExecutionProfile p =
            run_adjoint(ref.model, ref.u0, y, *schedule, ref.n, {ram.get(), disk.get()});
        EXPECT_TRUE(bitwise_equal(y, ref.gradient))
            << planner.name << " ram " << in_ram << " disk " << on_disk;
        EXPECT_EQ(p.levels[1].counters.writes, p.plan->levels[1].writes) << planner.name;
        EXPECT_LE(disk->counters().peak_checkpoints, on_disk) << planner.name;
        EXPECT_TRUE(disk->keys().empty()) << planner.name;
        if (disk->counters().writes > 0) runs_using_disk += 1;
      }
    }
  }
  EXPECT_GT(runs_using_disk, 0);  // some registered planner uses the second level
}

TEST(Executor, RevolveEveryBudgetSmallChains) {
  for (Step n = 1; n <= 30; n += (n < 12 ? 1 : 6)) {
    Reference ref(n, 8);
    for (std::int64_t c = 1; c <= n; ++c) {
      RevolveStream schedule(n, c);
      auto ram = ram_slots(ref.model, c);
      Burgers::Adjoint y;
      ExecutorOptions every_state;
      every_state.replay_check_budget = 0;  // check every state, however cheap the step
      const ExecutionProfile p =
          run_adjoint(ref.model, ref.u0, y, schedule, n, {ram.get()}, every_state);
      ASSERT_TRUE(bitwise_equal(y, ref.gradient)) << "n " << n << " c " << c;
      // Every recomputed and every restored state is checked; plus the tape of step n-1,
      // saved when x_n is computed for the seed and reloaded for its adjoint.
      EXPECT_EQ(p.replay_checks, p.advance_recompute.count + p.plan->levels[0].reads + 1)
          << "n " << n << " c " << c;
    }
  }
}

TEST(Executor, RevolveOnDiskWithReadAhead) {
  Reference ref(120, 256);
  testing::TempDir dir("exec-disk");
  auto ram = ram_slots(ref.model, 1);
  auto disk = make_file_storage(dir.path(), 64 << 20);
  RevolveStream schedule(ref.n, 6, 1);
  Burgers::Adjoint y;
  const ExecutionProfile p =
      run_adjoint(ref.model, ref.u0, y, schedule, ref.n, {ram.get(), disk.get()});
  EXPECT_TRUE(bitwise_equal(y, ref.gradient));
  EXPECT_GT(disk->counters().reads, 0);
  EXPECT_EQ(disk->keys().size(), 0u);
  EXPECT_EQ(p.levels[1].counters.reads, p.plan->levels[1].reads);
}

TEST(Executor, TwoLevelsWithMovesBetweenThem) {
  Reference ref(60);
  testing::TempDir dir("exec-two");
  RevolveStream revolve(ref.n, 7);
  testing::LevelByStep schedule(revolve, 30, 1, 0);  // early states on disk, late in RAM
  auto ram = ram_slots(ref.model, 7);
  auto disk = make_file_storage(dir.path(), 1 << 20);
  Burgers::Adjoint y;
  run_adjoint(ref.model, ref.u0, y, schedule, ref.n, {ram.get(), disk.get()});
  EXPECT_TRUE(bitwise_equal(y, ref.gradient));
  EXPECT_GT(disk->counters().writes, 0);
  EXPECT_GT(ram->counters().writes, 0);

  // Staging through RAM: store-all where every state goes work -> ram -> disk and back.
  Schedule staged;
  for (Step k = 0; k + 1 < ref.n; ++k) {
    staged.push_back(Action::copy(k, Content::kState, kWork, 0));
    staged.push_back(Action::move(k, Content::kState, 0, 1));
    staged.push_back(Action::forward(k, k + 1));
  }
  staged.push_back(Action::forward(ref.n - 1, ref.n, true));
  staged.push_back(Action::end_forward());
  staged.push_back(Action::reverse(ref.n, ref.n - 1));
  for (Step k = ref.n - 2; k >= 0; --k) {
    staged.push_back(Action::copy(k, Content::kState, 1, 0));
    staged.push_back(Action::free(k, Content::kState, 1));
    staged.push_back(Action::move(k, Content::kState, 0, kWork));
    staged.push_back(Action::forward(k, k + 1, true));
    staged.push_back(Action::reverse(k + 1, k));
  }
  staged.push_back(Action::end_reverse());
  ScheduleStream stream(staged);
  Burgers::Adjoint y2;
  run_adjoint(ref.model, ref.u0, y2, stream, ref.n, {ram.get(), disk.get()});
  EXPECT_TRUE(bitwise_equal(y2, ref.gradient));
}

// Split mode: the tape of a step is recorded in the forward sweep and stored on a level.
struct SplitBurgers {
  using State = Burgers::State;
  using Adjoint = Burgers::Adjoint;
  using Tape = std::vector<double>;
  const Burgers* burgers;
  int records = 0;
  void advance(State& x, Step k) { burgers->advance(x, k); }
  void seed(const State& x, Adjoint& y) { burgers->seed(x, y); }
  void record(State& x, Tape& tape, Step k) {
    tape = x;  // what this step's adjoint needs
    burgers->advance(x, k);
    records += 1;
  }
  void reverse_tape(const Tape& tape, Adjoint& y, Step k) { burgers->reverse(tape, y, k); }
};

TEST(Executor, SplitModeStoresTapesOnALevel) {
  Reference ref(30);
  Schedule schedule;
  for (Step k = 0; k < ref.n; ++k) {
    schedule.push_back(Action::forward(k, k + 1, true));
    if (k + 1 < ref.n) schedule.push_back(Action::move(k, Content::kTape, kWork, 0));
  }
  schedule.push_back(Action::end_forward());
  schedule.push_back(Action::reverse(ref.n, ref.n - 1));
  for (Step k = ref.n - 2; k >= 0; --k) {
    schedule.push_back(Action::move(k, Content::kTape, 0, kWork));
    schedule.push_back(Action::reverse(k + 1, k));
  }
  schedule.push_back(Action::end_reverse());
  const SimulationReport report = simulate(schedule, Chain(ref.n), Platform::ram(ref.n));
  EXPECT_EQ(report.forward_steps, ref.n);  // no recomputation at all
  SplitBurgers model{&ref.model};
  auto ram = ram_slots(ref.model, ref.n);
  ScheduleStream stream(schedule);
  Burgers::Adjoint y;
  const ExecutionProfile p = run_adjoint(model, ref.u0, y, stream, ref.n, {ram.get()});
  EXPECT_TRUE(bitwise_equal(y, ref.gradient));
  EXPECT_EQ(model.records, ref.n);
  EXPECT_EQ(p.record.count, ref.n);
  EXPECT_EQ(ram->counters().writes, ref.n - 1);
}

TEST(Executor, SplitModeUnderRevolve) {
  Reference ref(50);
  SplitBurgers model{&ref.model};
  RevolveStream schedule(ref.n, 5);
  auto ram = ram_slots(ref.model, 5);
  Burgers::Adjoint y;
  run_adjoint(model, ref.u0, y, schedule, ref.n, {ram.get()});
  EXPECT_TRUE(bitwise_equal(y, ref.gradient));
}

TEST(Executor, CompressedLevelsAreLossless) {
  Reference ref(80, 128);
  for (Compression codec : {Compression::kZstd, Compression::kLz4}) {
    auto level = make_compressed_storage(ram_slots(ref.model, 6), codec);
    RevolveStream schedule(ref.n, 6);
    Burgers::Adjoint y;
    run_adjoint(ref.model, ref.u0, y, schedule, ref.n, {level.get()});
    EXPECT_TRUE(bitwise_equal(y, ref.gradient)) << to_string(codec);
    EXPECT_GT(level->counters().codec_seconds, 0.0);
  }
}

TEST(Executor, CursorDrivesALegacyLoop) {
  Reference ref(45);
  std::vector<double> u = ref.u0;  // the loop's own state variable
  Burgers::Adjoint y;
  RevolveStream schedule(ref.n, 4);
  auto ram = ram_slots(ref.model, 4);
  ActionCursor<std::vector<double>> cursor(u, schedule, ref.n, {ram.get()});
  while (std::optional<StepWork> work = cursor.next()) {
    switch (work->kind) {
      case StepWork::Kind::kAdvance:
        ref.model.advance(u, work->step);
        break;
      case StepWork::Kind::kSeed:
        ref.model.seed(u, y);
        break;
      case StepWork::Kind::kReverse:
        ref.model.reverse(u, y, work->step);
        break;
      case StepWork::Kind::kRecord:
        FAIL() << "joint cursor asked to record";
    }
  }
  EXPECT_TRUE(bitwise_equal(y, ref.gradient));
  EXPECT_EQ(cursor.profile().reverse.count, ref.n);
}

TEST(Executor, OnlineSchedulesMatchStoreAll) {
  for (Step n : {1, 2, 7, 50}) {
    Reference ref(n);
    auto stop = [n](const Burgers::State&, Step k) { return k == n; };
    {
      OnlinePeriodic planner(5, 4);
      auto ram = ram_slots(ref.model, 4);
      Burgers::Adjoint y;
      const ExecutionProfile p =
          run_adjoint_online(ref.model, ref.u0, y, planner, stop, {ram.get()});
      EXPECT_TRUE(bitwise_equal(y, ref.gradient)) << "periodic n " << n;
      EXPECT_EQ(p.num_steps, n);
      EXPECT_LE(ram->counters().peak_checkpoints, 4);
    }
    {
      OnlineRevolve planner(3);
      auto ram = ram_slots(ref.model, 3);
      Burgers::Adjoint y;
      run_adjoint_online(ref.model, ref.u0, y, planner, stop, {ram.get()});
      EXPECT_TRUE(bitwise_equal(y, ref.gradient)) << "revolve n " << n;
    }
    {
      // Two levels, real files: a disk checkpoint closes every 6 steps.
      testing::TempDir dir("exec-online-two-level");
      DiskModel costs;
      costs.ram_slots = 3;
      OnlineTwoLevel planner(6, costs);
      auto ram = ram_slots(ref.model, 3);
      auto disk = make_file_storage(dir.path(), std::uint64_t{1} << 24);
      Burgers::Adjoint y;
      run_adjoint_online(ref.model, ref.u0, y, planner, stop, {ram.get(), disk.get()});
      EXPECT_TRUE(bitwise_equal(y, ref.gradient)) << "two-level n " << n;
      EXPECT_EQ(disk->counters().writes, (n - 1) / 6);
      EXPECT_TRUE(disk->keys().empty());
    }
  }
}

// A step that reads a global counter: recomputed states differ from the first sweep's.
struct HiddenStateBurgers {
  using State = Burgers::State;
  using Adjoint = Burgers::Adjoint;
  const Burgers* burgers;
  int calls = 0;
  void advance(State& x, Step k) {
    burgers->advance(x, k);
    x[0] += 1e-12 * ++calls;  // the bug: state outside the checkpoint
  }
  void seed(const State& x, Adjoint& y) { burgers->seed(x, y); }
  void reverse(const State& x, Adjoint& y, Step k) { burgers->reverse(x, y, k); }
};

TEST(Executor, ReplayCheckCatchesHiddenState) {
  Reference ref(30);
  HiddenStateBurgers model{&ref.model};
  RevolveStream schedule(ref.n, 3);
  auto ram = ram_slots(ref.model, 3);
  Burgers::Adjoint y;
  ExecutorOptions every_state;
  every_state.replay_check_budget = 0;
  try {
    run_adjoint(model, ref.u0, y, schedule, ref.n, {ram.get()}, every_state);
    FAIL() << "no replay error";
  } catch (const ReplayError& e) {
    EXPECT_NE(std::string(e.what()).find("not in the checkpointed state"), std::string::npos);
    EXPECT_GT(e.step(), 0);
  }
  // Without the check the same bug gives a silently different gradient.
  HiddenStateBurgers unchecked{&ref.model};
  RevolveStream again(ref.n, 3);
  auto ram2 = ram_slots(ref.model, 3);
  ExecutorOptions options;
  options.replay_check = false;
  run_adjoint(unchecked, ref.u0, y, again, ref.n, {ram2.get()}, options);
  EXPECT_FALSE(bitwise_equal(y, ref.gradient));
}

TEST(Executor, ReplayCheckWithinItsTimeBudgetStillCatchesHiddenState) {
  // Default options: the stride grows until hashing costs <= 1% of the steps (cheap steps
  // here, so it grows), and a long Revolve run still recomputes checked states.
  Reference ref(1000);
  HiddenStateBurgers model{&ref.model};
  RevolveStream schedule(ref.n, 4);
  auto ram = ram_slots(ref.model, 4);
  Burgers::Adjoint y;
  EXPECT_THROW(run_adjoint(model, ref.u0, y, schedule, ref.n, {ram.get()}), ReplayError);
}

// A state whose codec leaves out the time the step depends on.
struct Clocked {
  std::vector<double> u;
  double time = 0;
  auto checkpoint_fields() { return std::tie(u); }  // the bug: time is missing
  auto checkpoint_fields() const { return std::tie(u); }
};
struct ClockedModel {
  using State = Clocked;
  using Adjoint = Burgers::Adjoint;
  const Burgers* burgers;
  void advance(State& x, Step k) {
    burgers->advance(x.u, k);
    x.time += 1;
    x.u[1] += 1e-9 * x.time;
  }
  void seed(const State& x, Adjoint& y) { burgers->seed(x.u, y); }
  void reverse(const State& x, Adjoint& y, Step k) { burgers->reverse(x.u, y, k); }
};

TEST(Executor, ReplayCheckCatchesIncompleteCheckpointState) {
  Reference ref(20);
  ClockedModel model{&ref.model};
  Clocked x0{ref.u0, 0.0};
  RevolveStream schedule(ref.n, 3);
  auto ram = ram_slots(ref.model, 3);
  Burgers::Adjoint y;
  ExecutorOptions every_state;
  every_state.replay_check_budget = 0;
  EXPECT_THROW(run_adjoint(model, x0, y, schedule, ref.n, {ram.get()}, every_state), ReplayError);
}

TEST(Executor, IllegalScheduleIsRejectedBeforeRunning) {
  Reference ref(5);
  const Schedule bad = {Action::forward(0, 2), Action::copy(1, Content::kState, 0, kWork)};
  ScheduleStream stream(bad);
  auto ram = ram_slots(ref.model, 2);
  Burgers::Adjoint y;
  try {
    run_adjoint(ref.model, ref.u0, y, stream, ref.n, {ram.get()});
    FAIL() << "accepted";
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.action_index(), 1);
  }
  EXPECT_THROW(run_adjoint(ref.model, ref.u0, y, stream, 0, {ram.get()}), std::invalid_argument);
}

TEST(Executor, ProfileReportsAndWhatIf) {
  Reference ref(200, 64);
  RevolveStream schedule(ref.n, 5);
  auto ram = ram_slots(ref.model, 5);
  Burgers::Adjoint y;
  ExecutionProfile p = run_adjoint(ref.model, ref.u0, y, schedule, ref.n, {ram.get()});
  p.problem = "burgers";
  p.planner = "revolve";
  EXPECT_EQ(p.forward_steps(),
            p.plan->forward_steps - p.plan->recorded_steps + p.unplanned_forward_steps);
  EXPECT_EQ(p.levels[0].counters.writes, p.plan->levels[0].writes);
  EXPECT_GT(p.forward_seconds(), 0.0);
  const std::string text = to_text(p);
  EXPECT_NE(text.find("memsched profile: burgers"), std::string::npos) << text;
  EXPECT_NE(text.find("ram"), std::string::npos);
  const std::string json = to_json(p);
  EXPECT_NE(json.find("\"forward_steps\""), std::string::npos);
  const auto rows =
      what_if(p,
              [](const Chain& chain, const Platform& platform) -> std::unique_ptr<ActionStream> {
                auto s = revolve(chain, platform);
                if (!s) return nullptr;
                return std::make_unique<RevolveStream>(std::move(*s));
              },
              {5}, measure_compression(std::vector<std::byte>(4096)),
              {StorageLevel{"disk", 100, 1e-6, 1e-6}});
  ASSERT_FALSE(rows.empty());
  bool extra_level = false;
  for (const WhatIfRow& row : rows) extra_level |= row.change == "add level disk (100 slots)";
  EXPECT_TRUE(extra_level) << to_text(rows);
  // The JSON is valid and carries the plan.
  const nlohmann::json parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["num_steps"], ref.n);
  EXPECT_EQ(parsed["plan"]["forward_steps"], p.plan->forward_steps);
  EXPECT_EQ(parsed["levels"][0]["writes"], p.levels[0].counters.writes);
  // Timings are measured (and noisy on a shared machine): check the rows, not their signs.
  bool more_slots = false;
  for (const WhatIfRow& row : rows) {
    if (row.change == "ram +1 slot") more_slots = row.feasible && row.memory_change_bytes > 0;
  }
  EXPECT_TRUE(more_slots) << to_text(rows);
}

TEST(Executor, PeakMemoryWithinThePlan) {
  // 20000 cells: 160 KB per state; RAM arena allocated before the run.
  Reference ref(100, 20000);
  RevolveStream schedule(ref.n, 8);
  auto ram = ram_slots(ref.model, 8);
  Burgers::Adjoint y;
  const ExecutionProfile p = run_adjoint(ref.model, ref.u0, y, schedule, ref.n, {ram.get()});
  if (!p.rss_peak_reset || p.rss_peak_bytes == 0) GTEST_SKIP() << "VmHWM cannot be reset here";
  const std::int64_t constant = 4 << 20;  // docs/executor.md: allocator and stack slack
  EXPECT_LE(p.rss_peak_bytes - p.rss_start_bytes, p.planned_extra_bytes + constant) << to_text(p);
}

}  // namespace
}  // namespace memsched
