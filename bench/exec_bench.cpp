// Executor benchmarks: overhead against the bare forward + adjoint loop (store-all and Revolve,
// replay check on and off), disk level throughput against plain file I/O of the same bytes in
// the same folder, and measured peak memory against the plan.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "memsched/exec/model.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/problems/burgers.hpp"

namespace {

using namespace memsched;

// A step made of `substeps` Burgers steps (like a solver's inner iterations): its joint
// adjoint recomputes the substeps and reverses them. Few substeps and many cells: a
// memory-bound step; many substeps on a cache-sized state: a compute-bound one.
struct Stepper {
  using State = Burgers::State;
  using Adjoint = Burgers::Adjoint;
  Burgers burgers;
  int substeps;
  std::vector<State> inner;
  Stepper(std::int64_t cells, int sub) : burgers(cells, 1e-4), substeps(sub), inner(sub) {}
  void advance(State& u, Step k) const {
    for (int s = 0; s < substeps; ++s) burgers.advance(u, k);
  }
  void seed(const State& u, Adjoint& y) const { burgers.seed(u, y); }
  void reverse(const State& u, Adjoint& y, Step k) {
    inner[0] = u;
    for (int s = 1; s < substeps; ++s) {
      inner[s] = inner[s - 1];
      burgers.advance(inner[s], k);
    }
    for (int s = substeps - 1; s >= 0; --s) burgers.reverse(inner[s], y, k);
  }
};

// The bare loop: every state kept in a plain vector, then the adjoint; no executor at all.
void BM_BareLoop(benchmark::State& state) {
  Stepper model(state.range(0), static_cast<int>(state.range(2)));
  const Step n = state.range(1);
  const Burgers::State u0 = model.burgers.initial_state();
  std::vector<Burgers::State> states(static_cast<std::size_t>(n) + 1, u0);
  for (auto _ : state) {
    states[0] = u0;
    for (Step k = 0; k < n; ++k) {
      states[k + 1] = states[k];
      model.advance(states[k + 1], k);
    }
    Burgers::Adjoint y;
    model.seed(states[n], y);
    for (Step k = n - 1; k >= 0; --k) model.reverse(states[k], y, k);
    benchmark::DoNotOptimize(y.viscosity);
  }
}

// The executor on the same problem: store-all (period 1) or Revolve with `slots` (range 3,
// 0 = store-all), replay check on or off (range 4).
void BM_Executor(benchmark::State& state) {
  Stepper model(state.range(0), static_cast<int>(state.range(2)));
  const Step n = state.range(1);
  const std::int64_t slots = state.range(3) == 0 ? n : state.range(3);
  const Burgers::State u0 = model.burgers.initial_state();
  const std::uint64_t slot = (StateCodec<Burgers::State>::size(u0) + 63) / 64 * 64;
  auto ram = make_ram_storage(slot * static_cast<std::uint64_t>(slots));
  ExecutorOptions options;
  options.replay_check = state.range(4) != 0;
  ExecutionProfile profile;
  for (auto _ : state) {
    Burgers::Adjoint y;
    if (state.range(3) == 0) {
      PeriodicStream schedule(n, 1, slots);
      profile = run_adjoint(model, u0, y, schedule, n, {ram.get()}, options);
    } else {
      RevolveStream schedule(n, slots);
      profile = run_adjoint(model, u0, y, schedule, n, {ram.get()}, options);
    }
    benchmark::DoNotOptimize(y.viscosity);
  }
  state.counters["forward_steps"] = double(profile.forward_steps());
  state.counters["user_seconds"] =
      profile.advance_first.seconds + profile.advance_recompute.seconds + profile.reverse.seconds;
  state.counters["total_seconds"] = profile.total_seconds;
  state.counters["rss_over_plan_kib"] =
      double(profile.rss_peak_bytes - profile.rss_start_bytes - profile.planned_extra_bytes) / 1024;
}

// Plain file I/O: write `bytes` to a new file, read them back, delete it.
void BM_PlainFile(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0));
  const auto folder = std::filesystem::temp_directory_path() / "memsched-bench-plain";
  std::filesystem::create_directories(folder);
  std::vector<char> data(bytes, 'x');
  std::vector<char> back(bytes);
  const std::string path = (folder / "blob").string();
  for (auto _ : state) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    benchmark::DoNotOptimize(::write(fd, data.data(), bytes));
    ::close(fd);
    fd = ::open(path.c_str(), O_RDONLY);
    benchmark::DoNotOptimize(::read(fd, back.data(), bytes));
    ::close(fd);
    ::unlink(path.c_str());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * bytes));
  std::filesystem::remove_all(folder);
}

// The disk level on the same bytes: checksummed write (temporary + rename), verified read,
// release.
void BM_FileStorage(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(state.range(0));
  const auto folder = std::filesystem::temp_directory_path() / "memsched-bench-level";
  auto disk = make_file_storage(folder, 1ull << 32, {false, false});
  std::vector<std::byte> data(bytes, std::byte{'x'});
  std::vector<std::byte> back(bytes);
  for (auto _ : state) {
    disk->write({1, Content::kState}, data.data(), bytes);
    disk->read({1, Content::kState}, back.data(), bytes);
    disk->release({1, Content::kState});
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * bytes));
}

// Steps: 1024 cells, 1 substep (~2 us, tiny); 400,000 cells, 1 substep (~0.5 ms, memory-bound,
// 3.2 MB state); 16,384 cells, 64 substeps (~1 ms, compute-bound, 128 KiB state).
BENCHMARK(BM_BareLoop)
    ->ArgNames({"cells", "steps", "substeps"})
    ->Args({1024, 2000, 1})
    ->Args({400000, 40, 1})
    ->Args({16384, 100, 64})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Executor)
    ->ArgNames({"cells", "steps", "substeps", "slots", "check"})
    ->Args({1024, 2000, 1, 0, 1})
    ->Args({1024, 2000, 1, 0, 0})
    ->Args({1024, 2000, 1, 20, 1})
    ->Args({400000, 40, 1, 0, 1})
    ->Args({400000, 40, 1, 0, 0})
    ->Args({400000, 40, 1, 6, 1})
    ->Args({16384, 100, 64, 0, 1})
    ->Args({16384, 100, 64, 0, 0})
    ->Args({16384, 100, 64, 10, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainFile)->Arg(8 << 10)->Arg(1 << 20)->Arg(16 << 20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FileStorage)->Arg(8 << 10)->Arg(1 << 20)->Arg(16 << 20)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
