// The join planner's DP time against the naive plan's (the same code with every choice
// fixed) on graphs of a few hundred steps.
#include <benchmark/benchmark.h>

#include "memsched/join/plan.hpp"

namespace memsched {
namespace {

const JoinGraph& graph(std::int64_t which) {
  static const JoinGraph graphs[] = {JoinGraph({100, 100}, 20), JoinGraph({50, 50, 50}, 10),
                                     JoinGraph({200, 100}, 20), JoinGraph({400, 200}, 40),
                                     JoinGraph({20, 20}, 5)};
  return graphs[which];
}

void BM_JoinDp(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(plan_join(graph(state.range(0)), state.range(1)));
}
void BM_JoinNaiveReference(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(plan_join_naive(graph(state.range(0)), state.range(1)));
  }
}
// {4, 3}: the tightest budget, where the turn recomputes the other output.
BENCHMARK(BM_JoinDp)
    ->Args({0, 10})
    ->Args({1, 12})
    ->Args({2, 20})
    ->Args({3, 20})
    ->Args({4, 3})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JoinNaiveReference)
    ->Args({0, 10})
    ->Args({1, 12})
    ->Args({2, 20})
    ->Args({3, 20})
    ->Args({4, 3})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memsched

BENCHMARK_MAIN();
