// Benchmarks of the persistent heterogeneous planner and of Mixed, each next to a plain
// implementation of the same recurrence run in the same process.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "memsched/hetero/persistent.hpp"
#include "memsched/plan/mixed.hpp"
#if MEMSCHED_BENCH_REFERENCE
#include "../../src/hetero/persistent_table.hpp"
#include "support/rotor_reference.hpp"
#endif

namespace {

using namespace memsched;

// A random chain shaped like a network: times in [1, 10] ms, activations 1-64 MiB, tapes up to
// 3x the output, temporaries up to one activation.
HeteroChain network(std::int64_t num_stages, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> time(1e-3, 1e-2);
  std::uniform_int_distribution<Bytes> size(1 << 20, 64 << 20);
  std::vector<Bytes> x(static_cast<std::size_t>(num_stages + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  for (std::int64_t i = 0; i < num_stages; ++i) {
    const Bytes out = x[static_cast<std::size_t>(i + 1)];
    stages.push_back({time(rng), 2 * time(rng), x[static_cast<std::size_t>(i)],
                      out + static_cast<Bytes>(rng() % static_cast<std::uint64_t>(2 * out)),
                      static_cast<Bytes>(rng() % static_cast<std::uint64_t>(out)),
                      static_cast<Bytes>(rng() % static_cast<std::uint64_t>(out))});
  }
  return HeteroChain(std::move(stages), {x.back(), 0.0, 0});
}

// M units, with the up-front limits (sized for interactive use) lifted for the large cases.
PersistentOptions bench_options(std::int64_t num_units) {
  PersistentOptions options;
  options.num_units = num_units;
  options.max_table_bytes = std::int64_t{1} << 40;
  options.max_table_operations = 1e13;
  return options;
}

// plan_persistent with M units at a third of the store-all peak (table and schedule).
void BM_PersistentPlan(benchmark::State& state) {
  const HeteroChain chain = network(state.range(0), 42);
  const Bytes budget = chain.store_all_peak() / 3;
  const PersistentOptions options = bench_options(state.range(1));
  for (auto _ : state) {
    auto plan = plan_persistent(chain, budget, options);
    benchmark::DoNotOptimize(plan);
  }
  state.SetLabel("L=" + std::to_string(state.range(0)) + " M=" + std::to_string(state.range(1)));
}
BENCHMARK(BM_PersistentPlan)
    ->Args({20, 500})
    ->Args({50, 500})
    ->Args({100, 250})
    ->Args({100, 500})
    ->Args({100, 1000})
    ->Args({200, 500})
    ->Args({500, 1000})
    ->Args({1000, 1000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// The same with the intervals of each length split over two threads.
void BM_PersistentPlanTwoThreads(benchmark::State& state) {
  const HeteroChain chain = network(state.range(0), 42);
  const Bytes budget = chain.store_all_peak() / 3;
  PersistentOptions options = bench_options(state.range(1));
  options.num_threads = 2;
  for (auto _ : state) {
    auto plan = plan_persistent(chain, budget, options);
    benchmark::DoNotOptimize(plan);
  }
  state.SetLabel("L=" + std::to_string(state.range(0)) + " M=" + std::to_string(state.range(1)));
}
BENCHMARK(BM_PersistentPlanTwoThreads)
    ->Args({100, 500})
    ->Args({200, 500})
    ->Args({500, 1000})
    ->Args({1000, 1000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

void BM_PersistentCurve(benchmark::State& state) {
  const HeteroChain chain = network(state.range(0), 42);
  PersistentOptions options;
  options.num_units = state.range(1);
  for (auto _ : state) benchmark::DoNotOptimize(memory_time_curve(chain, options));
}
BENCHMARK(BM_PersistentCurve)->Args({100, 500})->Unit(benchmark::kMillisecond)->Iterations(1);

#if MEMSCHED_BENCH_REFERENCE
// rotor's recurrence written plainly (dense (M+1)(L+1)^2 table, O(M L^3)), same chain, same
// units and the same number of memory units as the planner's table.
void BM_PlainRecurrence(benchmark::State& state) {
  const HeteroChain chain = network(state.range(0), 42);
  const Bytes budget = chain.store_all_peak() / 3;
  const Bytes unit = budget / state.range(1);
  const detail::UnitChain u = detail::to_units(chain, unit);
  testing::RotorArrays a{u.num_stages, u.cw, u.cbw, u.ft, u.bt, u.fw, u.bw};
  for (auto _ : state) {
    testing::RotorReference reference(a, budget / unit, true);
    benchmark::DoNotOptimize(reference.value(0, u.num_stages, budget / unit - u.cw[0]));
  }
  state.SetLabel("L=" + std::to_string(state.range(0)) + " M=" + std::to_string(state.range(1)));
}
BENCHMARK(BM_PlainRecurrence)
    ->Args({20, 500})
    ->Args({50, 500})
    ->Args({100, 500})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
#endif

void BM_MixedSchedule(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(mixed_schedule(state.range(0), state.range(1)));
}
BENCHMARK(BM_MixedSchedule)
    ->Args({1000, 10})
    ->Args({10000, 10})
    ->Args({30000, 10})
    ->Args({100000, 10})
    ->Args({100000, 2})
    ->Args({100000, 20})
    ->Args({30000, 30})
    ->Args({10000, 100})
    ->Args({100000, 100})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
