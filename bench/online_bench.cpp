// The online planners: cost of one decision per time step (both policies), of the reversal DP
// at the end, and of whole simulated online schedules next to the offline streams they follow
// (Revolve; Periodic-Disk-Revolve for two-level online).
#include <benchmark/benchmark.h>

#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/online.hpp"
#include "memsched/plan/online_two_level.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

void decisions(benchmark::State& state, OnlinePolicy policy) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  for (auto _ : state) {
    OnlineCheckpointer planner(c, 0, policy);
    for (Step i = 0; i < n; ++i) benchmark::DoNotOptimize(planner.decide_step());
  }
  state.SetItemsProcessed(state.iterations() * n);  // items = time steps
}

void BM_OnlineGreedyDecisions(benchmark::State& state) {
  decisions(state, OnlinePolicy::kRevolveGreedy);
}
void BM_OnlineWmiDecisions(benchmark::State& state) {
  decisions(state, OnlinePolicy::kWangMoinIaccarino);
}
BENCHMARK(BM_OnlineGreedyDecisions)
    ->Args({100'000, 10})
    ->Args({100'000, 50})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OnlineWmiDecisions)
    ->Args({100'000, 10})
    ->Args({100'000, 50})
    ->Unit(benchmark::kMillisecond);

// The reversal DP over the c states held after n steps.
void BM_OnlineReversalDp(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  OnlineCheckpointer planner(c);
  for (Step i = 0; i < n; ++i) planner.decide_step();
  const std::vector<Step> held = planner.checkpoints();
  for (auto _ : state) benchmark::DoNotOptimize(online_reversal_advances(held, n, c));
}
// The keep/drop DP alone (no shifted starts): what online_reversal_advances falls back to
// beyond end * min(k, c) = 2^16, and the reference for the exact DP below that.
void BM_OnlineKeepDropDp(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  OnlineCheckpointer planner(c);
  for (Step i = 0; i < n; ++i) planner.decide_step();
  const std::vector<Step> held = planner.checkpoints();
  for (auto _ : state) benchmark::DoNotOptimize(online_keep_drop_advances(held, n, c));
}
BENCHMARK(BM_OnlineReversalDp)
    ->Args({32'000, 2})
    ->Args({6'000, 10})
    ->Args({1'300, 50})
    ->Args({100'000, 10})
    ->Args({100'000, 50})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OnlineKeepDropDp)
    ->Args({32'000, 2})
    ->Args({6'000, 10})
    ->Args({1'300, 50})
    ->Args({100'000, 10})
    ->Args({100'000, 50})
    ->Unit(benchmark::kMicrosecond);

// Whole schedules, drained: online (length revealed at the end) against offline Revolve.
template <typename MakeStream>
void drain(benchmark::State& state, MakeStream make) {
  std::int64_t actions = 0;
  for (auto _ : state) {
    std::unique_ptr<ActionStream> stream = make(state.range(0), state.range(1));
    while (std::optional<Action> a = stream->next()) {
      benchmark::DoNotOptimize(*a);
      ++actions;
    }
  }
  state.SetItemsProcessed(actions);  // items = actions
}
void BM_OnlineStream(benchmark::State& state) {
  drain(state, [](Step n, std::int64_t c) { return std::make_unique<OnlineStream>(n, c); });
}
void BM_RevolveStreamReference(benchmark::State& state) {
  drain(state, [](Step n, std::int64_t c) { return std::make_unique<RevolveStream>(n, c); });
}
BENCHMARK(BM_OnlineStream)->Args({100'000, 10})->Args({100'000, 50})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RevolveStreamReference)
    ->Args({100'000, 10})
    ->Args({100'000, 50})
    ->Unit(benchmark::kMillisecond);

// Two-level online (RAM c slots + an unlimited disk, w_d = r_d = 5) against the offline
// Periodic-Disk-Revolve stream it follows.
Platform ram_and_disk(std::int64_t ram) {
  return Platform({StorageLevel{"ram", ram, 0, 0}, StorageLevel{"disk", kUnlimitedSlots, 5, 5}});
}
void BM_OnlineTwoLevelStream(benchmark::State& state) {
  drain(state, [](Step n, std::int64_t c) {
    return std::make_unique<OnlinePlannerStream>(*online_two_level(Chain(n), ram_and_disk(c)));
  });
}
void BM_PeriodicDiskRevolveReference(benchmark::State& state) {
  drain(state, [](Step n, std::int64_t c) {
    return std::make_unique<DiskRevolveStream>(*periodic_disk_revolve(Chain(n), ram_and_disk(c)));
  });
}
BENCHMARK(BM_OnlineTwoLevelStream)
    ->Args({100'000, 4})
    ->Args({100'000, 10})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeriodicDiskRevolveReference)
    ->Args({100'000, 4})
    ->Args({100'000, 10})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memsched

BENCHMARK_MAIN();
