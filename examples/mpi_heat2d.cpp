// A distributed adjoint: a 2D reaction-diffusion model split into row strips over MPI ranks,
// checkpointed by a collectively planned schedule with RAM and per-rank disk levels, its
// gradient checked bitwise against the same ranks' store-all run.
//
//   mpirun -np 4 ./mpi_heat2d --steps 200 --planner revolve --ram-slots 6 --check
//
// Options: --nx N --ny N (grid, 64 x 64), --steps N (100), --planner NAME (a registry planner,
// revolve), --ram-slots S (8), --disk-slots D (0: no disk level), --disk DIR (per-rank folders
// under DIR), --measure (plan with measured costs instead of unit costs), --journal PATH,
// --resume, --kill-at A --kill-rank R (rank R dies at action A: SIGKILL), --check (compare
// with a store-all run of the plain program, bitwise; exit 1 if different), --gradient-out FILE
// (rank 0 writes the whole gradient, raw doubles in row order), --profile (per-rank table).
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "memsched/exec/codec.hpp"
#include "memsched/mpi/executor.hpp"
#include "mpi/heat2d.hpp"

namespace {

struct Options {
  int nx = 64;
  int ny = 64;
  memsched::Step steps = 100;
  std::string planner = "revolve";
  std::int64_t ram_slots = 8;
  std::int64_t disk_slots = 0;
  std::string disk = "/tmp/memsched-heat2d";
  bool measure = false;
  std::string journal;
  bool resume = false;
  std::int64_t kill_at = -1;
  int kill_rank = 0;
  bool check = false;
  std::string gradient_out;
  bool profile = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--nx")
      o.nx = std::stoi(value());
    else if (a == "--ny")
      o.ny = std::stoi(value());
    else if (a == "--steps")
      o.steps = std::stoll(value());
    else if (a == "--planner")
      o.planner = value();
    else if (a == "--ram-slots")
      o.ram_slots = std::stoll(value());
    else if (a == "--disk-slots")
      o.disk_slots = std::stoll(value());
    else if (a == "--disk")
      o.disk = value();
    else if (a == "--measure")
      o.measure = true;
    else if (a == "--journal")
      o.journal = value();
    else if (a == "--resume")
      o.resume = true;
    else if (a == "--kill-at")
      o.kill_at = std::stoll(value());
    else if (a == "--kill-rank")
      o.kill_rank = std::stoi(value());
    else if (a == "--check")
      o.check = true;
    else if (a == "--gradient-out")
      o.gradient_out = value();
    else if (a == "--profile")
      o.profile = true;
    else
      throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(int argc, char** argv) {
  const Options o = parse(argc, argv);
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);

  heat2d::Model model(comm, o.nx, o.ny);
  const heat2d::Model::State u0 = model.initial_state();
  const std::uint64_t state_bytes = memsched::StateCodec<heat2d::Model::State>::size(u0);

  // Per-rank storage: RAM, and files in this rank's own folder under --disk (a node-local
  // disk or a shared parallel file system: each rank writes rank<r>/state_<k>.ckpt).
  std::vector<std::unique_ptr<memsched::Storage>> owned;
  // Room for the largest rank's state (strips differ by at most one row).
  const std::uint64_t slot_bytes = state_bytes + static_cast<std::uint64_t>(o.nx) * 8 + 128;
  owned.push_back(memsched::make_ram_storage(static_cast<std::uint64_t>(o.ram_slots) * slot_bytes));
  if (o.disk_slots > 0) {
    memsched::FileStorageOptions file_options;
    file_options.keep_files = !o.journal.empty();
    owned.push_back(memsched::mpi::make_rank_file_storage(
        comm, o.disk, static_cast<std::uint64_t>(o.disk_slots) * slot_bytes, file_options));
  }
  std::vector<memsched::Storage*> levels;
  for (auto& level : owned) levels.push_back(level.get());

  // Collective planning: the slowest rank's costs and the largest state.
  memsched::mpi::StepCosts costs;
  if (o.measure) {
    costs = memsched::mpi::measure_costs(comm, model, u0, levels);
  } else {
    costs.state_bytes = state_bytes;
    for (std::size_t l = 0; l < levels.size(); ++l) {
      costs.write_seconds.push_back(l == 0 ? 0.0 : 2.0);  // a disk write ~ two steps
      costs.read_seconds.push_back(l == 0 ? 0.0 : 2.0);
    }
  }
  const std::optional<memsched::mpi::CollectivePlan> plan =
      memsched::mpi::plan_collective(comm, o.planner, o.steps, costs, levels);
  if (!plan) {
    if (rank == 0) std::fprintf(stderr, "mpi_heat2d: %s has no schedule\n", o.planner.c_str());
    return 1;
  }

  memsched::ExecutorOptions options;
  options.journal = o.journal;
  options.resume = o.resume;
  if (o.kill_at >= 0 && rank == o.kill_rank) {
    const std::int64_t kill_at = o.kill_at;
    options.on_action = [kill_at](const memsched::Action&, std::int64_t index) {
      if (index >= kill_at) std::raise(SIGKILL);
    };
  }
  heat2d::Model::Adjoint gradient;
  const memsched::mpi::MpiProfile profile =
      memsched::mpi::run_adjoint(comm, model, u0, gradient, *plan, levels, options);

  // J from a plain forward run (the executor does not return x_n).
  heat2d::Model::State u = u0;
  for (memsched::Step k = 0; k < o.steps; ++k) model.advance(u, k);
  const double objective = model.objective(u);
  const std::vector<double> whole = model.gather(gradient);
  if (rank == 0) {
    double norm = 0;
    for (double g : whole) norm += g * g;
    std::printf("heat2d %dx%d, %lld steps, %d ranks, planner %s (", o.nx, o.ny,
                static_cast<long long>(o.steps), size, o.planner.c_str());
    for (std::size_t l = 0; l < plan->platform.num_levels(); ++l) {
      std::printf("%s%s %lld slots", l == 0 ? "" : ", ", plan->platform.level(l).name.c_str(),
                  static_cast<long long>(plan->platform.level(l).num_slots));
    }
    const long long num_actions = plan->fingerprint.num_actions;
    std::printf("), %lld actions\nJ = %.12e, |dJ/du0| = %.12e, gradient hash %016llx\n",
                num_actions, objective, std::sqrt(norm),
                static_cast<unsigned long long>(
                    memsched::hash_bytes(whole.data(), whole.size() * sizeof(double))));
    std::printf("executor: %lld forward steps, slowest rank %d: %.4f s\n",
                static_cast<long long>(profile.slowest().forward_steps), profile.slowest().rank,
                profile.slowest().total_seconds);
  }
  if (o.profile && rank == 0) std::printf("%s", memsched::mpi::to_text(profile).c_str());
  if (!o.gradient_out.empty() && rank == 0) {
    std::ofstream out(o.gradient_out, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(whole.data()),
              static_cast<std::streamsize>(whole.size() * sizeof(double)));
    if (!out) throw std::runtime_error("cannot write " + o.gradient_out);
  }

  int failed = 0;
  if (o.check) {
    // The plain program: every state kept, the adjoint steps in reverse order.
    const auto start = std::chrono::steady_clock::now();
    std::vector<heat2d::Model::State> states(static_cast<std::size_t>(o.steps) + 1, u0);
    for (memsched::Step k = 0; k < o.steps; ++k) {
      states[static_cast<std::size_t>(k) + 1] = states[static_cast<std::size_t>(k)];
      model.advance(states[static_cast<std::size_t>(k) + 1], k);
    }
    heat2d::Model::Adjoint reference;
    model.seed(states.back(), reference);
    for (memsched::Step k = o.steps - 1; k >= 0; --k) {
      model.reverse(states[static_cast<std::size_t>(k)], reference, k);
    }
    const double plain_seconds = seconds_since(start);
    int differs =
        reference.size() != gradient.size() || std::memcmp(reference.data(), gradient.data(),
                                                           gradient.size() * sizeof(double)) != 0
            ? 1
            : 0;
    MPI_Allreduce(&differs, &failed, 1, MPI_INT, MPI_MAX, comm);
    double slowest_plain = 0;
    MPI_Allreduce(&plain_seconds, &slowest_plain, 1, MPI_DOUBLE, MPI_MAX, comm);
    if (rank == 0) {
      std::printf(
          "store-all check: %s; plain program (every state kept) %.4f s on the slowest "
          "rank\n",
          failed ? "DIFFERENT" : "bitwise equal", slowest_plain);
    }
  }
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    status = run(argc, argv);
  } catch (const std::exception& e) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "mpi_heat2d (rank %d): %s\n", rank, e.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
