// Revolve: action generation rate of the lazy stream against a plain recursive generator, and
// the time to stream and verify whole schedules through the simulator.
#include <benchmark/benchmark.h>

#include <functional>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {
namespace {

// The reference: Revolve written as the textbook recursion (Griewank & Walther 2000), emitting
// into a callback; same advance rule (the largest optimal advance), not lazy, O(c) stack.
class RecursiveRevolve {
 public:
  explicit RecursiveRevolve(std::function<void(const Action&)> sink) : sink_(std::move(sink)) {}

  void run(Step n, std::int64_t c) {
    if (n == 1) {
      turn(0, 1, true);
    } else {
      sink_(Action::copy(0, Content::kState, kWork, 0));
      stored(0, n, c, true);
    }
    sink_(Action::end_reverse());
  }

 private:
  void turn(Step capo, Step fine, bool first) {
    sink_(Action::forward(capo, fine, true));
    if (first) sink_(Action::end_forward());
    sink_(Action::reverse(fine, capo));
  }
  void restore(Step capo, Step fine) {
    sink_(capo == fine - 1 ? Action::move(capo, Content::kState, 0, kWork)
                           : Action::copy(capo, Content::kState, 0, kWork));
  }
  // x_capo is stored and in the buffer; reverse [capo, fine) with d snapshots (capo's included).
  void stored(Step capo, Step fine, std::int64_t d, bool first) {
    if (fine - capo == 1) {
      turn(capo, fine, first);
      return;
    }
    if (d == 1) {
      for (Step j = fine - 1; j >= capo; --j) {
        if (j != fine - 1) restore(capo, j + 1);
        if (j > capo) sink_(Action::forward(capo, j));
        turn(j, j + 1, first && j == fine - 1);
      }
      return;
    }
    const Step i = optimal_advances(fine - capo, d).hi;
    sink_(Action::forward(capo, capo + i));
    if (fine - capo - i >= 2) {
      sink_(Action::copy(capo + i, Content::kState, kWork, 0));
      stored(capo + i, fine, d - 1, first);
    } else {
      turn(capo + i, fine, first);
    }
    restore(capo, capo + i);
    stored(capo, capo + i, d, false);
  }

  std::function<void(const Action&)> sink_;
};

void BM_RevolveStream(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  std::int64_t actions = 0;
  for (auto _ : state) {
    RevolveStream stream(n, c);
    std::int64_t forward = 0;
    while (std::optional<Action> a = stream.next()) {
      forward += a->end - a->begin;
      ++actions;
    }
    benchmark::DoNotOptimize(forward);
  }
  state.SetItemsProcessed(actions);
}

// The same stream drained in batches (next_batch): whole controller decisions per call.
void BM_RevolveStreamBatched(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  std::int64_t actions = 0;
  std::vector<Action> batch(512);
  for (auto _ : state) {
    RevolveStream stream(n, c);
    std::int64_t forward = 0;
    while (const std::size_t count = stream.next_batch(batch.data(), batch.size())) {
      for (std::size_t i = 0; i < count; ++i) forward += batch[i].end - batch[i].begin;
      actions += static_cast<std::int64_t>(count);
    }
    benchmark::DoNotOptimize(forward);
  }
  state.SetItemsProcessed(actions);
}

void BM_RevolveRecursiveReference(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  std::int64_t actions = 0;
  for (auto _ : state) {
    std::int64_t forward = 0;
    RecursiveRevolve revolve([&](const Action& a) {
      forward += a.end - a.begin;
      ++actions;
    });
    revolve.run(n, c);
    benchmark::DoNotOptimize(forward);
  }
  state.SetItemsProcessed(actions);
}

void BM_RevolveStreamAndSimulate(benchmark::State& state) {
  const Step n = state.range(0);
  const std::int64_t c = state.range(1);
  const Chain chain(n);
  const Platform platform = Platform::ram(c);
  std::int64_t actions = 0;
  for (auto _ : state) {
    RevolveStream stream(n, c);
    const SimulationReport report = simulate(stream, chain, platform);
    actions += report.num_actions;
    if (report.forward_steps != revolve_forward_steps(n, c)) state.SkipWithError("wrong count");
  }
  state.SetItemsProcessed(actions);
}

void BM_RevolveClosedForm(benchmark::State& state) {
  std::int64_t n = 1;
  for (auto _ : state) {
    n = n % 1000000000 + 999983;
    benchmark::DoNotOptimize(revolve_advances(n, 100));
  }
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Args({1000000, 10})->Args({1000000, 100})->Args({10000000, 10})->Args({10000000, 100});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_RevolveStream)->Apply(Sizes);
BENCHMARK(BM_RevolveStreamBatched)->Apply(Sizes);
BENCHMARK(BM_RevolveRecursiveReference)->Apply(Sizes);
BENCHMARK(BM_RevolveStreamAndSimulate)->Apply(Sizes);
BENCHMARK(BM_RevolveClosedForm);

}  // namespace
}  // namespace memsched

BENCHMARK_MAIN();
