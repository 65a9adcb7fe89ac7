// Two-level online checkpointing: a whole simulated online schedule (length revealed at the
// end), drained, next to the offline Periodic-Disk-Revolve stream it follows.
#include <benchmark/benchmark.h>

#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/online_two_level.hpp"

namespace memsched {
namespace {

Platform ram_and_disk(std::int64_t ram) {
  return Platform({StorageLevel{"ram", ram, 0, 0}, StorageLevel{"disk", kUnlimitedSlots, 5, 5}});
}

template <typename MakeStream>
void drain(benchmark::State& state, MakeStream make) {
  const Chain chain(state.range(0));
  const Platform platform = ram_and_disk(state.range(1));
  std::int64_t actions = 0;
  for (auto _ : state) {
    auto stream = make(chain, platform);
    while (std::optional<Action> a = stream->next()) {
      benchmark::DoNotOptimize(*a);
      ++actions;
    }
  }
  state.SetItemsProcessed(actions);  // items = actions
}

void BM_OnlineTwoLevelStream(benchmark::State& state) {
  drain(state, [](const Chain& chain, const Platform& platform) {
    return online_two_level(chain, platform);
  });
}
void BM_PeriodicDiskRevolveReference(benchmark::State& state) {
  drain(state, [](const Chain& chain, const Platform& platform) {
    return std::make_unique<DiskRevolveStream>(*periodic_disk_revolve(chain, platform));
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
