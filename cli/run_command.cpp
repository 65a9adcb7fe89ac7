// `memsched run`: run a real adjoint (the built-in Burgers problem) under a planned schedule on
// real storage levels, check its gradient, and print the profile.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/chain/svg.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/plan/registry.hpp"
#include "memsched/problems/burgers.hpp"
#include "options.hpp"

namespace memsched::cli {

namespace {

struct RunFlags {
  std::string planner = "auto";
  std::string steps = "10000";
  std::int64_t cells = 128;
  std::string ram = "10";
  std::string disk = "20";
  std::string disk_dir;
  std::string compress = "none";
  std::optional<std::string> period;
  std::string check_steps = "500";
  std::string format = "text";
  std::string svg;
  bool what_if = false;
  std::string journal;
  bool resume = false;
};

// SIGINT / SIGTERM: noted here, acted on by the schedule stream the executor pulls from (a
// handler may do nothing else safely); a second signal kills at once (default action).
volatile std::sig_atomic_t pending_signal = 0;

extern "C" void note_signal(int signal_number) {
  pending_signal = signal_number;
  std::signal(signal_number, SIG_DFL);
}

void throw_if_interrupted() {
  if (pending_signal != 0) throw Interrupted(pending_signal);
}

// Installs the handlers for the scope of a run and restores the previous ones after.
class SignalScope {
 public:
  SignalScope()
      : previous_int_(std::signal(SIGINT, note_signal)),
        previous_term_(std::signal(SIGTERM, note_signal)) {}
  ~SignalScope() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// The schedule as the executor sees it: each action first checks for a signal, so that a run
// stops within one action and unwinds through the levels' destructors.
class InterruptibleStream final : public ActionStream {
 public:
  explicit InterruptibleStream(ActionStream& inner) : inner_(inner) {}
  std::optional<Action> next() override {
    throw_if_interrupted();
    return inner_.next();
  }

 private:
  ActionStream& inner_;
};

// The temporary folder of the disk level (not a --disk-dir folder): removed with everything in
// it when the run ends, normally or by an exception (a signal included).
class TemporaryFolder {
 public:
  explicit TemporaryFolder(std::filesystem::path path) : path_(std::move(path)) {}
  ~TemporaryFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;

 private:
  std::filesystem::path path_;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The real storage levels: RAM slots, then (with --disk) a folder of checkpoint files.
struct Levels {
  std::unique_ptr<Storage> ram;
  std::unique_ptr<Storage> disk;
  std::vector<Storage*> list() const {
    std::vector<Storage*> levels{ram.get()};
    if (disk) levels.push_back(disk.get());
    return levels;
  }
};

Levels make_levels(const RunFlags& flags, std::int64_t ram_slots, std::int64_t disk_slots,
                   std::size_t state_bytes, const std::filesystem::path& folder,
                   bool keep_files = false) {
  Levels levels;
  const std::uint64_t slot = (state_bytes + 63) / 64 * 64;
  levels.ram =
      make_ram_storage(slot * static_cast<std::uint64_t>(std::max<std::int64_t>(1, ram_slots)));
  if (disk_slots > 0) {
    const std::uint64_t capacity = (48 + state_bytes + 64) * static_cast<std::uint64_t>(disk_slots);
    FileStorageOptions options;
    options.keep_files = keep_files;
    auto files = make_file_storage(folder, capacity, options);
    if (flags.compress == "none") {
      levels.disk = std::move(files);
    } else {
      levels.disk = make_compressed_storage(
          std::move(files), flags.compress == "zstd" ? Compression::kZstd : Compression::kLz4);
    }
  }
  return levels;
}

// Refuses a run that cannot finish before allocating anything (docs/cli.md, Limits): the RAM
// it holds (the RAM level's slots, the store-all check's states and a few working states, 8
// bytes per cell each) and the cell updates of one forward sweep.
void check_run_size(Step steps, std::int64_t cells, std::int64_t ram_slots, Step check_steps) {
  const double state_bytes = 8.0 * static_cast<double>(cells);
  const double states = static_cast<double>(ram_slots) + static_cast<double>(check_steps) + 8.0;
  const double bytes = state_bytes * states;
  const double updates = static_cast<double>(steps) * static_cast<double>(cells);
  char estimate[128];
  if (bytes > 1024.0 * 1024.0 * 1024.0) {
    std::snprintf(estimate, sizeof estimate, "about %.0f MiB of states (limit 1024 MiB)",
                  bytes / 1048576.0);
    throw std::runtime_error("run: refused: " + std::to_string(cells) + " cells and " +
                             std::to_string(ram_slots) + " RAM slots + " +
                             std::to_string(check_steps) + " check steps need " + estimate);
  }
  if (updates > 2e10) {
    std::snprintf(estimate, sizeof estimate, "about %.2g cell updates (limit 2e+10)", updates);
    throw std::runtime_error("run: refused: one forward sweep of " + std::to_string(steps) +
                             " steps on " + std::to_string(cells) + " cells takes " + estimate);
  }
}

// Plans with the named planner, or with every registered one keeping the cheapest ("auto").
std::pair<std::string, std::unique_ptr<ActionStream>> plan(const RunFlags& flags,
                                                           const Chain& chain,
                                                           const Platform& platform,
                                                           const PlanOptions& options) {
  if (flags.planner != "auto") {
    const PlannerInfo* info = nullptr;
    try {
      info = &find_chain_planner(flags.planner);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    return {info->name, info->plan(chain, platform, options)};
  }
  std::string best_name;
  double best_cost = 0;
  for (const PlannerInfo& info : chain_planners()) {
    std::unique_ptr<ActionStream> stream = info.plan(chain, platform, options);
    if (!stream) continue;
    const double cost = simulate(*stream, chain, platform).cost;
    if (best_name.empty() || cost < best_cost) {
      best_name = info.name;
      best_cost = cost;
    }
  }
  if (best_name.empty()) return {"auto", nullptr};
  return {best_name, find_chain_planner(best_name).plan(chain, platform, options)};
}

void run(const RunFlags& flags) {
  const Step n = parse_steps(flags.steps, "--steps");
  const std::int64_t ram_slots = parse_slots(flags.ram, "--ram");
  const std::int64_t disk_slots = parse_slots(flags.disk, "--disk");
  const Step check_steps = std::min(n, parse_steps(flags.check_steps, "--check-steps"));
  if (flags.cells < 3)
    throw UsageError("--cells: needs at least 3, got " + std::to_string(flags.cells));
  if (ram_slots == kUnlimitedSlots || disk_slots == kUnlimitedSlots) {
    throw UsageError("--ram/--disk: real levels need a finite number of slots");
  }
  if (flags.compress != "none" && flags.compress != "zstd" && flags.compress != "lz4") {
    throw UsageError("--compress: expected none, zstd or lz4, got '" + flags.compress + "'");
  }
  if (flags.format != "text" && flags.format != "json") {
    throw UsageError("--format: expected text or json, got '" + flags.format + "'");
  }
  PlanOptions options;
  if (flags.period) options.period = parse_steps(*flags.period, "--period");
  check_run_size(n, flags.cells, ram_slots, check_steps);

  const Burgers model(flags.cells, 0.01);
  const Burgers::State u0 = model.initial_state();
  const std::size_t state_bytes = StateCodec<Burgers::State>::size(u0);
  const bool journaled = !flags.journal.empty();
  if (flags.resume && !journaled) throw UsageError("--resume: needs --journal FILE");
  if (journaled && disk_slots > 0 && flags.disk_dir.empty()) {
    throw UsageError("--journal: needs --disk-dir (the disk level must outlive the run)");
  }
  const SignalScope signals;
  const std::filesystem::path folder =
      flags.disk_dir.empty()
          ? std::filesystem::temp_directory_path() / ("memsched-run-" + std::to_string(::getpid()))
          : std::filesystem::path(flags.disk_dir);
  const TemporaryFolder temporary(flags.disk_dir.empty() ? folder : std::filesystem::path());

  // Measure this machine: a forward step, an adjoint step, a write and a read per level.
  double uf = 0;
  double ub = 0;
  {
    Burgers::State u = u0;
    Burgers::Adjoint y;
    model.seed(u, y);
    const int trials = 50;
    auto t = Clock::now();
    for (int i = 0; i < trials; ++i) model.advance(u, i);
    uf = seconds_since(t) / trials;
    t = Clock::now();
    for (int i = 0; i < trials; ++i) model.reverse(u, y, i);
    ub = seconds_since(t) / trials;
  }
  std::vector<std::byte> sample(state_bytes);
  StateCodec<Burgers::State>::save(u0, sample.data());
  std::vector<StorageLevel> platform_levels;
  {
    Levels probe = make_levels(flags, 1, disk_slots > 0 ? 1 : 0, state_bytes, folder);
    const LevelCost ram_cost = measure_storage_cost(*probe.ram, sample);
    platform_levels.push_back({"ram", ram_slots, ram_cost.write_seconds, ram_cost.read_seconds});
    if (probe.disk) {
      const LevelCost disk_cost = measure_storage_cost(*probe.disk, sample);
      platform_levels.push_back(
          {"disk", disk_slots, disk_cost.write_seconds, disk_cost.read_seconds});
    }
  }
  if (journaled) {
    // A resumed run must plan the very same schedule: it uses the costs measured by the run it
    // resumes, kept next to the journal.
    const std::string costs_file = flags.journal + ".costs";
    if (flags.resume) {
      std::ifstream in(costs_file);
      in >> uf >> ub;
      for (StorageLevel& level : platform_levels) in >> level.write_cost >> level.read_cost;
      if (!in) throw std::runtime_error("--resume: cannot read '" + costs_file + "'");
    } else {
      std::ofstream out(costs_file);
      out.precision(17);
      out << uf << " " << ub;
      for (const StorageLevel& level : platform_levels) {
        out << " " << level.write_cost << " " << level.read_cost;
      }
      out << "\n";
      out.close();
      if (!out) throw std::runtime_error("--journal: cannot write '" + costs_file + "'");
    }
  }
  const Platform platform(platform_levels);
  const Chain chain(n, uf, ub);

  auto [name, schedule] = plan(flags, chain, platform, options);
  if (!schedule) {
    throw std::runtime_error("no " + name + " schedule fits " + std::to_string(n) +
                             " steps in these levels");
  }

  // The run itself; with --journal resumable after a kill (docs/executor.md), the disk
  // level's files kept for it.
  ExecutorOptions run_options;
  if (journaled) {
    if (!flags.resume) {
      // A fresh run meets no stale journal nor checkpoint files.
      std::error_code ignored;
      std::filesystem::remove(flags.journal, ignored);
      std::filesystem::remove(flags.journal + ".hashes", ignored);
      make_levels(flags, 1, disk_slots > 0 ? 1 : 0, state_bytes, folder);
    }
    run_options.journal = flags.journal;
    run_options.resume = flags.resume;
  }
  throw_if_interrupted();
  Levels levels = make_levels(flags, ram_slots, disk_slots, state_bytes, folder, journaled);
  Burgers::Adjoint gradient;
  InterruptibleStream interruptible(*schedule);
  ExecutionProfile profile =
      run_adjoint(model, u0, gradient, interruptible, n, levels.list(), run_options);
  if (journaled) {
    // Finished: the journal and its costs are of no further use.
    std::error_code ignored;
    std::filesystem::remove(flags.journal, ignored);
    std::filesystem::remove(flags.journal + ".hashes", ignored);
    std::filesystem::remove(flags.journal + ".costs", ignored);
  }
  profile.problem = "burgers nx=" + std::to_string(flags.cells);
  profile.planner = name;

  // Gradient check: the same planner on a shorter horizon against store-all, bit for bit.
  bool same = true;
  {
    const Chain short_chain(check_steps, uf, ub);
    std::unique_ptr<ActionStream> short_schedule =
        find_chain_planner(name).plan(short_chain, platform, options);
    if (short_schedule) {
      Levels short_levels =
          make_levels(flags, ram_slots, disk_slots, state_bytes, folder / "check");
      Burgers::Adjoint checked;
      InterruptibleStream short_interruptible(*short_schedule);
      run_adjoint(model, u0, checked, short_interruptible, check_steps, short_levels.list());
      Burgers::Adjoint reference;
      burgers_gradient_store_all(model, u0, check_steps, reference);
      same = std::memcmp(checked.u.data(), reference.u.data(), checked.u.size() * 8) == 0 &&
             std::memcmp(&checked.viscosity, &reference.viscosity, 8) == 0;
    }
  }

  if (flags.format == "json") {
    std::cout << to_json(profile) << "\n";
  } else {
    std::cout << to_text(profile);
    std::cout << "gradient: dJ/dnu = " << gradient.viscosity << "; the same planner on "
              << check_steps << " steps is bitwise equal to store-all: " << (same ? "yes" : "NO")
              << "\n";
    if (flags.what_if) {
      std::vector<std::int64_t> slots{ram_slots};
      if (disk_slots > 0) slots.push_back(disk_slots);
      const std::string planner_name = name;
      const PlanOptions plan_options = options;
      std::vector<StorageLevel> extra;
      if (disk_slots == 0) {
        // Another level: a disk with this machine's measured costs and 10 x the RAM slots.
        auto probe = make_file_storage(folder / "probe", 1 << 30);
        const LevelCost cost = measure_storage_cost(*probe, sample);
        extra.push_back({"disk", 10 * std::max<std::int64_t>(1, ram_slots), cost.write_seconds,
                         cost.read_seconds});
      }
      const auto rows = what_if(
          profile,
          [&](const Chain& c, const Platform& p) {
            return find_chain_planner(planner_name).plan(c, p, plan_options);
          },
          slots, measure_compression(sample), extra);
      std::cout << to_text(rows);
    }
  }
  if (!flags.svg.empty()) {
    // The picture's clock in forward steps (costs divided by uf): readable axis labels.
    std::vector<StorageLevel> scaled = platform.levels();
    for (StorageLevel& level : scaled) {
      level.write_cost /= uf;
      level.read_cost /= uf;
    }
    const Platform picture_platform(scaled);
    const Chain picture_chain(n, 1.0, ub / uf);
    std::ofstream out(flags.svg);
    if (!out) throw std::runtime_error("cannot open '" + flags.svg + "' for writing");
    std::unique_ptr<ActionStream> again =
        find_chain_planner(name).plan(picture_chain, picture_platform, options);
    write_schedule_svg(out, *again, picture_chain, picture_platform);
    out.close();  // the last block is written here: check after it
    if (!out) throw std::runtime_error("cannot write '" + flags.svg + "' (device full?)");
  }
  if (!same) throw std::runtime_error("the gradient check failed");
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Run the adjoint of 1D Burgers under a planned schedule on real RAM and disk levels, "
      "check the gradient and print the profile");
  command->add_option("planner", flags->planner,
                      "planner name, or 'auto' for the cheapest registered one (default)");
  command->add_option("--steps", flags->steps, "time steps (default 10000)");
  command->add_option("--cells", flags->cells, "grid cells (default 128)");
  command->add_option("--ram", flags->ram, "RAM slots (default 10)");
  command->add_option("--disk", flags->disk,
                      "disk slots in a temporary folder (default 20; 0: no disk level)");
  command->add_option("--disk-dir", flags->disk_dir,
                      "folder for the disk level (default: a temporary one, removed after)");
  command->add_option("--compress", flags->compress, "compress the disk level: none, zstd, lz4");
  command->add_option("--period", flags->period, "period of the periodic planner");
  command->add_option("--check-steps", flags->check_steps,
                      "horizon of the store-all gradient check (default 500)");
  command->add_option("--format", flags->format, "text (default) or json");
  command->add_option("--svg", flags->svg, "write the schedule picture to this file");
  command->add_flag("--what-if", flags->what_if,
                    "print the what-if table (more slots, compression, ...)");
  command->add_option("--journal", flags->journal,
                      "resume journal: a run killed in its reverse sweep can go on with "
                      "--resume (needs --disk-dir with a disk level)");
  command->add_flag("--resume", flags->resume,
                    "resume the run recorded in --journal (same flags, same planner)");
  command->callback([flags] { run(*flags); });
}

}  // namespace memsched::cli
