// The MPI layer under mpirun (1, 2 and 4 ranks): identical collective schedules, gradients
// bitwise equal to store-all, and every fault on one rank ending all ranks with one error.
#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "memsched/exec/codec.hpp"
#include "memsched/mpi/executor.hpp"
#include "memsched/plan/revolve.hpp"
#include "mpi/heat2d.hpp"

namespace memsched::mpi {
namespace {

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Whether every rank passed the same text (its hash's minimum and maximum agree).
bool same_on_all_ranks(const std::string& text) {
  const unsigned long long h = hash_bytes(text.data(), text.size());
  unsigned long long low = 0;
  unsigned long long high = 0;
  MPI_Allreduce(&h, &low, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&h, &high, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return low == high;
}

// A folder every rank names alike (rank 0's pid), removed at the end.
class SharedDir {
 public:
  explicit SharedDir(const std::string& name) {
    long pid = static_cast<long>(::getpid());
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    path_ = std::filesystem::temp_directory_path() /
            ("memsched-mpi-" + name + "-" + std::to_string(pid));
    if (rank() == 0) std::filesystem::remove_all(path_);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  ~SharedDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    std::error_code ignored;
    if (rank() == 0) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

constexpr int kGrid = 16;
constexpr Step kSteps = 30;

// The plain program: every state kept, the adjoint steps in reverse order.
heat2d::Model::Adjoint store_all_gradient(heat2d::Model& model, Step n) {
  std::vector<heat2d::Model::State> states(static_cast<std::size_t>(n) + 1, model.initial_state());
  for (Step k = 0; k < n; ++k) {
    states[static_cast<std::size_t>(k) + 1] = states[static_cast<std::size_t>(k)];
    model.advance(states[static_cast<std::size_t>(k) + 1], k);
  }
  heat2d::Model::Adjoint y;
  model.seed(states.back(), y);
  for (Step k = n - 1; k >= 0; --k) model.reverse(states[static_cast<std::size_t>(k)], y, k);
  return y;
}

// Whether the gradient is bitwise equal to the reference on every rank.
bool bitwise_everywhere(const std::vector<double>& a, const std::vector<double>& b) {
  int mine = a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 8) == 0 ? 1 : 0;
  int all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

std::uint64_t slot_bytes(const heat2d::Model& model) {
  // The largest strip has one row more than the smallest.
  return static_cast<std::uint64_t>(model.num_rows() + 1) * kGrid * 8 + 128;
}

// Unit step costs and a disk twice as slow as a step: deterministic planner inputs.
StepCosts unit_costs(const heat2d::Model& model, std::size_t levels) {
  StepCosts costs;
  costs.state_bytes = StateCodec<heat2d::Model::State>::size(model.initial_state());
  for (std::size_t l = 0; l < levels; ++l) {
    costs.write_seconds.push_back(l == 0 ? 0.0 : 2.0);
    costs.read_seconds.push_back(l == 0 ? 0.0 : 2.0);
  }
  return costs;
}

TEST(MpiPlanning, EveryRankPlansTheSameScheduleFromItsOwnCosts) {
  // 17 rows: with 2 or 4 ranks the strips differ, and so do the state sizes.
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid + 1);
  auto ram = make_ram_storage(3 * slot_bytes(model));
  SharedDir dir("plan");
  auto disk = make_rank_file_storage(MPI_COMM_WORLD, dir.path(), 4 * slot_bytes(model));
  const std::vector<Storage*> levels = {ram.get(), disk.get()};
  // Each rank measured other costs; the plan uses the largest of each.
  StepCosts local = unit_costs(model, 2);
  local.forward_seconds = 1.0 + 0.25 * rank();
  local.adjoint_seconds = 2.0 - 0.25 * rank();
  local.write_seconds[1] = 3.0 + rank();
  const std::optional<CollectivePlan> plan =
      plan_collective(MPI_COMM_WORLD, "hrevolve", 40, local, levels);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->costs.forward_seconds, 1.0 + 0.25 * (size() - 1));
  EXPECT_EQ(plan->costs.adjoint_seconds, 2.0);
  EXPECT_EQ(plan->costs.write_seconds[1], 3.0 + (size() - 1));
  const int largest_strip = (kGrid + 1 + size() - 1) / size();
  EXPECT_EQ(plan->costs.state_bytes, static_cast<std::uint64_t>(largest_strip) * kGrid * 8 + 8);
  // The slots the smallest budget gives for the largest state.
  long long mine =
      static_cast<long long>(ram->capacity_bytes() / ram->footprint_bytes(plan->costs.state_bytes));
  long long smallest = 0;
  MPI_Allreduce(&mine, &smallest, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  EXPECT_EQ(plan->platform.level(0).num_slots, smallest);
  EXPECT_GE(plan->platform.level(0).num_slots, 2);
  EXPECT_GE(plan->platform.level(1).num_slots, 3);
  EXPECT_TRUE(same_on_all_ranks(std::to_string(plan->fingerprint.hash) + "/" +
                                std::to_string(plan->fingerprint.num_actions) + "/" +
                                std::to_string(plan->platform.level(0).num_slots) + "/" +
                                std::to_string(plan->platform.level(1).num_slots)));
  // The schedule is the planner's own for the reduced inputs, and the factory repeats it.
  std::unique_ptr<ActionStream> direct =
      find_chain_planner("hrevolve").plan(plan->chain, plan->platform, PlanOptions{});
  ASSERT_TRUE(direct);
  EXPECT_EQ(fingerprint(*direct), plan->fingerprint);
  EXPECT_EQ(fingerprint(*plan->make_schedule()), plan->fingerprint);
  // No schedule for the budget: nullopt on every rank.
  EXPECT_FALSE(plan_collective(MPI_COMM_WORLD, "store-all", 40, local, levels).has_value());
}

TEST(MpiPlanning, DifferentSchedulesAreOneErrorOnEveryRank) {
  if (size() < 2) GTEST_SKIP() << "needs two ranks";
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  auto ram = make_ram_storage(6 * slot_bytes(model));
  // Rank 1 was given another budget: its Revolve schedule differs.
  const std::int64_t slots = rank() == 1 ? 5 : 4;
  const ScheduleFactory schedule = [slots] {
    return std::make_unique<RevolveStream>(kSteps, slots);
  };
  heat2d::Model::Adjoint y;
  std::string message;
  try {
    run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, schedule, kSteps, {ram.get()});
  } catch (const ScheduleMismatchError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("rank 1 has"), std::string::npos) << message;
  EXPECT_TRUE(same_on_all_ranks(message)) << message;
  EXPECT_TRUE(y.empty());  // nothing ran
}

TEST(MpiGradient, BitwiseEqualToStoreAllUnderEveryPlannerWithRamAndDisk) {
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  const heat2d::Model::Adjoint reference = store_all_gradient(model, kSteps);
  SharedDir dir("gradient");
  int runs = 0;
  for (const PlannerInfo& planner : chain_planners()) {
    for (const auto& [in_ram, on_disk] :
         std::vector<std::pair<std::uint64_t, std::uint64_t>>{{2, 0}, {5, 0}, {2, 4}}) {
      auto ram = make_ram_storage(in_ram * slot_bytes(model));
      std::vector<Storage*> levels = {ram.get()};
      std::unique_ptr<Storage> disk;
      if (on_disk > 0) {
        disk = make_rank_file_storage(MPI_COMM_WORLD, dir.path(), on_disk * slot_bytes(model));
        levels.push_back(disk.get());
      }
      const std::optional<CollectivePlan> plan = plan_collective(
          MPI_COMM_WORLD, planner.name, kSteps, unit_costs(model, levels.size()), levels);
      if (!plan) continue;
      heat2d::Model::Adjoint y;
      const MpiProfile profile =
          run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, *plan, levels);
      EXPECT_TRUE(bitwise_everywhere(y, reference))
          << planner.name << " ram " << in_ram << " disk " << on_disk;
      ASSERT_EQ(profile.ranks.size(), static_cast<std::size_t>(size()));
      EXPECT_EQ(profile.local.reverse.count, kSteps);
      EXPECT_EQ(profile.ranks[static_cast<std::size_t>(rank())].forward_steps,
                profile.local.forward_steps());
      ++runs;
    }
  }
  EXPECT_GE(runs, 20);
}

// The same problem on 1, 2 and 4 ranks (sub-communicators of a 4-rank run): the forward
// states are the same bitwise (halo rows are copies), the gradients differ only where the
// reversed halo exchange adds a neighbour's part in another order, by round-off.
TEST(MpiGradient, RankCountsAgreeToRoundOff) {
  if (size() != 4) GTEST_SKIP() << "needs four ranks";
  std::vector<std::vector<double>> wholes;
  for (const int ranks : {1, 2, 4}) {
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, rank() < ranks ? 0 : MPI_UNDEFINED, rank(), &sub);
    if (sub != MPI_COMM_NULL) {
      heat2d::Model model(sub, kGrid, kGrid);
      auto ram = make_ram_storage(4 * slot_bytes(model));
      const std::optional<CollectivePlan> plan =
          plan_collective(sub, "revolve", kSteps, unit_costs(model, 1), {ram.get()});
      EXPECT_TRUE(plan.has_value());
      heat2d::Model::Adjoint y;
      run_adjoint(sub, model, model.initial_state(), y, *plan, {ram.get()});
      wholes.push_back(model.gather(y));
      MPI_Comm_free(&sub);
    }
  }
  if (rank() != 0) return;
  ASSERT_EQ(wholes.size(), 3u);
  double scale = 0;
  for (double g : wholes[0]) scale = std::max(scale, std::fabs(g));
  for (std::size_t r = 1; r < wholes.size(); ++r) {
    ASSERT_EQ(wholes[r].size(), wholes[0].size());
    double difference = 0;
    for (std::size_t i = 0; i < wholes[0].size(); ++i) {
      difference = std::max(difference, std::fabs(wholes[r][i] - wholes[0][i]));
    }
    // A few ulps of the largest component per step's reordered sum, over kSteps steps.
    EXPECT_LE(difference, 1e-14 * scale) << "ranks " << (r == 1 ? 2 : 4);
    std::printf("ranks %d vs 1: max |difference| %.3e (largest |g| %.3e)\n", r == 1 ? 2 : 4,
                difference, scale);
  }
  EXPECT_NE(std::memcmp(wholes[2].data(), wholes[0].data(), wholes[0].size() * 8), 0)
      << "expected round-off differences with 4 ranks";
}

// A step that reads hidden state on one rank only: its recomputed states differ.
class HiddenCounter : public heat2d::Model {
 public:
  HiddenCounter(int bad_rank) : heat2d::Model(MPI_COMM_WORLD, kGrid, kGrid), bad_rank_(bad_rank) {}
  void advance(State& u, Step k) {
    heat2d::Model::advance(u, k);
    if (rank() == bad_rank_) u[0] += 1e-13 * static_cast<double>(++calls_);
  }

 private:
  int bad_rank_;
  int calls_ = 0;
};

TEST(MpiFaults, ReplayMismatchOnOneRankStopsAllRanksWithTheSameError) {
  // The hidden state perturbs the last rank's strip right after its step: the first
  // recomputed state differs there, one step before the halo exchange carries it further.
  HiddenCounter model(size() - 1);
  const int first_bad = size() - 1;
  auto ram = make_ram_storage(3 * slot_bytes(model));
  const ScheduleFactory schedule = [] { return std::make_unique<RevolveStream>(kSteps, 3); };
  ExecutorOptions options;
  options.replay_check_budget = 0;  // check every state, however cheap the steps
  heat2d::Model::Adjoint y;
  std::string message;
  Step step = -1;
  try {
    run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, schedule, kSteps, {ram.get()},
                options);
  } catch (const ReplayError& e) {
    message = e.what();
    step = e.step();
  }
  EXPECT_NE(message.find("rank " + std::to_string(first_bad) + " of " + std::to_string(size())),
            std::string::npos)
      << message;
  EXPECT_GT(step, 0);
  EXPECT_TRUE(same_on_all_ranks(message + std::to_string(step))) << message;
}

TEST(MpiFaults, CorruptedFileOnOneRankIsAChecksumErrorOnEveryRank) {
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  SharedDir dir("corrupt");
  auto ram = make_ram_storage(2 * slot_bytes(model));
  FileStorageOptions no_read_ahead;
  no_read_ahead.read_ahead = false;  // the read must see the corrupted bytes
  auto disk =
      make_rank_file_storage(MPI_COMM_WORLD, dir.path(), 4 * slot_bytes(model), no_read_ahead);
  const std::vector<Storage*> levels = {ram.get(), disk.get()};
  const std::optional<CollectivePlan> plan =
      plan_collective(MPI_COMM_WORLD, "hrevolve", kSteps, unit_costs(model, 2), levels);
  ASSERT_TRUE(plan.has_value());
  ExecutorOptions options;
  const bool bad = rank() == size() - 1;
  const std::filesystem::path folder = rank_path(MPI_COMM_WORLD, dir.path());
  bool corrupted = false;
  options.on_action = [&](const Action& a, std::int64_t) {
    if (!bad || corrupted || a.kind == ActionKind::kFree) return;
    if ((a.kind == ActionKind::kCopy || a.kind == ActionKind::kMove) && a.to == 1) {
      std::fstream file(folder / ("state_" + std::to_string(a.step) + ".ckpt"),
                        std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(60);
      file.put('\x5a');
      corrupted = true;
    }
  };
  heat2d::Model::Adjoint y;
  std::string message;
  try {
    run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, *plan, levels, options);
  } catch (const ChecksumError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("rank " + std::to_string(size() - 1)), std::string::npos) << message;
  EXPECT_TRUE(same_on_all_ranks(message)) << message;
}

TEST(MpiFaults, FullDiskOnOneRankIsAStorageErrorOnEveryRank) {
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  SharedDir dir("full");
  auto ram = make_ram_storage(2 * slot_bytes(model));
  auto disk = make_rank_file_storage(MPI_COMM_WORLD, dir.path(), 4 * slot_bytes(model));
  const std::vector<Storage*> levels = {ram.get(), disk.get()};
  const std::optional<CollectivePlan> plan =
      plan_collective(MPI_COMM_WORLD, "hrevolve", kSteps, unit_costs(model, 2), levels);
  ASSERT_TRUE(plan.has_value());
  // The last rank's disk refuses files beyond 64 bytes (a file size limit: EFBIG, as a full
  // disk gives ENOSPC); SIGXFSZ is ignored so that the write fails instead of the process.
  rlimit before{};
  getrlimit(RLIMIT_FSIZE, &before);
  const bool bad = rank() == size() - 1;
  if (bad) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = before;
    limit.rlim_cur = 64;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  heat2d::Model::Adjoint y;
  std::string message;
  try {
    run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, *plan, levels);
  } catch (const StorageError& e) {
    message = e.what();
  }
  if (bad) setrlimit(RLIMIT_FSIZE, &before);
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("rank " + std::to_string(size() - 1)), std::string::npos) << message;
  EXPECT_TRUE(same_on_all_ranks(message)) << message;
}

// A run stopped on one rank during the reverse sweep (the others run on to the agreement, so
// their journals may be one entry ahead) resumes on all ranks to the uninterrupted gradient.
TEST(MpiFaults, RunStoppedOnOneRankResumesToTheSameGradient) {
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  const heat2d::Model::Adjoint reference = store_all_gradient(model, kSteps);
  SharedDir dir("resume");
  FileStorageOptions keep;
  keep.keep_files = true;
  auto make_levels = [&](std::vector<std::unique_ptr<Storage>>& owned) {
    owned.clear();
    owned.push_back(make_ram_storage(2 * slot_bytes(model)));
    owned.push_back(
        make_rank_file_storage(MPI_COMM_WORLD, dir.path() / "disk", 4 * slot_bytes(model), keep));
    return std::vector<Storage*>{owned[0].get(), owned[1].get()};
  };
  std::vector<std::unique_ptr<Storage>> owned;
  std::vector<Storage*> levels = make_levels(owned);
  const std::optional<CollectivePlan> plan =
      plan_collective(MPI_COMM_WORLD, "hrevolve", kSteps, unit_costs(model, 2), levels);
  ASSERT_TRUE(plan.has_value());
  const std::int64_t total = plan->fingerprint.num_actions;
  for (const std::int64_t stop_at : {total / 2, (3 * total) / 4, total - 4}) {
    levels = make_levels(owned);
    for (Storage* level : levels) {
      for (const CheckpointKey& key : level->keys()) level->release(key);
    }
    ExecutorOptions options;
    options.journal = dir.path() / "journal";
    if (rank() == size() - 1) {
      options.on_action = [stop_at](const Action&, std::int64_t index) {
        if (index == stop_at) throw std::runtime_error("simulated crash");
      };
    }
    heat2d::Model::Adjoint y;
    std::string message;
    try {
      run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, *plan, levels, options);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    ASSERT_NE(message.find("simulated crash"), std::string::npos) << message;

    // A new process would start here: RAM is lost, the files and journals remain.
    levels = make_levels(owned);
    ExecutorOptions again;
    again.journal = dir.path() / "journal";
    again.resume = true;
    heat2d::Model::Adjoint resumed;
    const MpiProfile profile =
        run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), resumed, *plan, levels, again);
    EXPECT_TRUE(bitwise_everywhere(resumed, reference)) << "stopped at action " << stop_at;
    EXPECT_LT(profile.local.reverse.count, kSteps);  // it did resume
    std::filesystem::path journal = again.journal;
    journal +=
        ".rank" + std::string(5 - std::to_string(rank()).size(), '0') + std::to_string(rank());
    EXPECT_FALSE(std::filesystem::exists(journal));  // a finished run leaves no journal
  }
}

// A model that dies on one rank after an adjoint step's communication: the other ranks end
// the step's Reverse action and journal it, so their journals are one entry ahead.
class DiesInReverse : public heat2d::Model {
 public:
  DiesInReverse(int bad_rank, Step at)
      : heat2d::Model(MPI_COMM_WORLD, kGrid, kGrid), bad_rank_(bad_rank), at_(at) {}
  void reverse(const State& u, Adjoint& y, Step k) {
    heat2d::Model::reverse(u, y, k);
    if (rank() == bad_rank_ && k == at_) throw std::runtime_error("simulated crash");
  }

 private:
  int bad_rank_;
  Step at_;
};

TEST(MpiFaults, RanksStoppedOneEntryApartResumeFromTheCommonEntry) {
  heat2d::Model plain(MPI_COMM_WORLD, kGrid, kGrid);
  const heat2d::Model::Adjoint reference = store_all_gradient(plain, kSteps);
  SharedDir dir("apart");
  FileStorageOptions keep;
  keep.keep_files = true;
  std::vector<std::unique_ptr<Storage>> owned;
  auto make_levels = [&] {
    owned.clear();
    owned.push_back(make_ram_storage(2 * slot_bytes(plain)));
    owned.push_back(
        make_rank_file_storage(MPI_COMM_WORLD, dir.path() / "disk", 4 * slot_bytes(plain), keep));
    return std::vector<Storage*>{owned[0].get(), owned[1].get()};
  };
  std::vector<Storage*> levels = make_levels();
  const std::optional<CollectivePlan> plan =
      plan_collective(MPI_COMM_WORLD, "hrevolve", kSteps, unit_costs(plain, 2), levels);
  ASSERT_TRUE(plan.has_value());
  ExecutorOptions options;
  options.journal = dir.path() / "journal";
  DiesInReverse dying(size() - 1, kSteps / 3);
  heat2d::Model::Adjoint y;
  std::string message;
  try {
    run_adjoint(MPI_COMM_WORLD, dying, dying.initial_state(), y, *plan, levels, options);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ASSERT_NE(message.find("simulated crash"), std::string::npos) << message;
  std::filesystem::path journal = options.journal;
  journal += ".rank" + std::string(5 - std::to_string(rank()).size(), '0') + std::to_string(rank());
  const long long progress = journal_progress(journal).value_or(-1);
  long long low = 0;
  long long high = 0;
  MPI_Allreduce(&progress, &low, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&progress, &high, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_GE(low, 0);
  if (size() > 1) {
    EXPECT_GT(high, low);  // the others are one entry ahead
  }

  levels = make_levels();
  ExecutorOptions again;
  again.journal = options.journal;
  again.resume = true;
  heat2d::Model::Adjoint resumed;
  run_adjoint(MPI_COMM_WORLD, plain, plain.initial_state(), resumed, *plan, levels, again);
  EXPECT_TRUE(bitwise_everywhere(resumed, reference));
}

TEST(MpiFaults, ResumeWithoutJournalIsOneErrorOnEveryRank) {
  heat2d::Model model(MPI_COMM_WORLD, kGrid, kGrid);
  SharedDir dir("nojournal");
  auto ram = make_ram_storage(4 * slot_bytes(model));
  const ScheduleFactory schedule = [] { return std::make_unique<RevolveStream>(kSteps, 4); };
  ExecutorOptions options;
  options.journal = dir.path() / "journal";
  options.resume = true;
  heat2d::Model::Adjoint y;
  std::string message;
  try {
    run_adjoint(MPI_COMM_WORLD, model, model.initial_state(), y, schedule, kSteps, {ram.get()},
                options);
  } catch (const ResumeError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("rank 0 of"), std::string::npos) << message;
  EXPECT_TRUE(same_on_all_ranks(message)) << message;
}

}  // namespace
}  // namespace memsched::mpi

// GoogleTest under MPI: every rank runs every test; the exit status is the worst rank's.
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int result = RUN_ALL_TESTS();
  int worst = 0;
  MPI_Allreduce(&result, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
