// Benchmarks of call-tree planning (exact front, plan under a budget, grid heuristic) on
// random call trees, and the cost of one CallScope with and without a recorder.
#include <benchmark/benchmark.h>

#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/generate.hpp"
#include "memsched/calltree/plan.hpp"
#include "memsched/calltree/profiler.hpp"

namespace {

memsched::CallTree tree_of(std::int64_t calls) {
  memsched::RandomCallTreeOptions options;
  options.num_calls = calls;
  options.seed = 1;
  return memsched::random_calltree(options);
}

void BM_CallTreeEvaluate(benchmark::State& state) {
  const memsched::CallTree tree = tree_of(state.range(0));
  const memsched::JointSet joint = memsched::all_joint(tree);
  for (auto _ : state) benchmark::DoNotOptimize(memsched::evaluate_calltree(tree, joint));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CallTreeEvaluate)->Arg(1000)->Arg(100000);

// Budget: a third of store-all's peak. Exact when it fits in max_work, grid otherwise.
void BM_CallTreePlan(benchmark::State& state) {
  const memsched::CallTree tree = tree_of(state.range(0));
  const memsched::Bytes budget = tree.total_tape() / 3;
  for (auto _ : state) {
    const memsched::CallTreePlan plan = memsched::plan_calltree(tree, budget);
    state.counters["optimal"] = plan.optimal ? 1 : 0;
    state.counters["gap"] =
        plan.feasible ? (plan.best.time - plan.time_lower_bound) / plan.time_lower_bound : -1;
  }
}
BENCHMARK(BM_CallTreePlan)
    ->Arg(30)
    ->Arg(100)
    ->Arg(300)
    ->Arg(1000)
    ->Arg(3000)
    ->Unit(benchmark::kMillisecond);

void BM_CallTreeGrid(benchmark::State& state) {
  const memsched::CallTree tree = tree_of(state.range(0));
  const memsched::Bytes budget = tree.total_tape() / 3;
  for (auto _ : state) {
    const memsched::CallTreePlan plan = memsched::plan_calltree_grid(tree, budget);
    state.counters["gap"] =
        plan.feasible ? (plan.best.time - plan.time_lower_bound) / plan.time_lower_bound : -1;
  }
}
BENCHMARK(BM_CallTreeGrid)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_CallTreeFront(benchmark::State& state) {
  const memsched::CallTree tree = tree_of(state.range(0));
  for (auto _ : state) {
    state.counters["points"] = static_cast<double>(memsched::calltree_front(tree).size());
  }
}
BENCHMARK(BM_CallTreeFront)->Arg(30)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_CallScopeIdle(benchmark::State& state) {
  for (auto _ : state) {
    memsched::CallScope scope("idle");
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_CallScopeIdle);

// One recorded call (enter, exit, a node in the tree) per iteration, under a root scope; a
// fresh recorder every 2^20 calls keeps memory bounded.
void BM_CallScopeRecording(benchmark::State& state) {
  static const memsched::CallSiteId site = memsched::register_call_site("bench", "bench.cpp", 1);
  const auto clock = static_cast<memsched::CallClock>(state.range(0));
  auto recorder = std::make_unique<memsched::CallRecorder>(clock);
  auto root = std::make_unique<memsched::CallScope>("root");
  std::int64_t count = 0;
  for (auto _ : state) {
    {
      memsched::CallScope scope(site);
      memsched::tape_pushed(8);
    }
    if (++count % (1 << 20) == 0) {
      state.PauseTiming();
      root.reset();
      recorder.reset();
      recorder = std::make_unique<memsched::CallRecorder>(clock);
      root = std::make_unique<memsched::CallScope>("root");
      state.ResumeTiming();
    }
  }
  root.reset();
}
// Argument: 0 thread CPU clock, 1 steady clock.
BENCHMARK(BM_CallScopeRecording)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
