// H-Revolve table time: memsched's solver against a plain, straightforward implementation of
// the same (corrected) recurrence, in the same run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "memsched/chain/platform.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/hrevolve.hpp"

namespace {

using memsched::Platform;

// The recurrence exactly as written in docs/theory/chain.md (corrected), with nested vectors and a
// scalar inner loop: what a direct port of the published Python looks like in C++.
double plain_hrevolve(long L, const std::vector<long>& c, const std::vector<double>& w,
                      const std::vector<double>& r, double uf, double ub) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::size_t K = c.size();
  // opt[k][m][l], optp[k][m][l]
  std::vector<std::vector<std::vector<double>>> opt(K), optp(K);
  for (std::size_t k = 0; k < K; ++k) {
    opt[k].assign(static_cast<std::size_t>(c[k] + 1),
                  std::vector<double>(static_cast<std::size_t>(L + 1), inf));
    optp[k].assign(static_cast<std::size_t>(c[k] + 1),
                   std::vector<double>(static_cast<std::size_t>(L + 1), inf));
    auto U = [&](long l) { return k == 0 ? inf : opt[k - 1][c[k - 1]][l]; };
    for (long m = 0; m <= c[k]; ++m) {
      opt[k][m][0] = ub;
      optp[k][m][0] = ub;
      for (long l = 1; l <= L; ++l) {
        if (m == 0) {
          opt[k][0][l] = U(l);
          continue;
        }
        double best = U(l);
        for (long j = 1; j <= l; ++j) {
          best = std::min(
              best, static_cast<double>(j) * uf + opt[k][m - 1][l - j] + r[k] + optp[k][m][j - 1]);
        }
        optp[k][m][l] = best;
        opt[k][m][l] = std::min(U(l), w[k] + best);
      }
    }
  }
  return opt[K - 1][c[K - 1]][L];
}

// c = (10, 10), w = r = (0, 5), uf = ub = 1: the target platform (Σc = 20).
Platform target_platform() { return Platform({{"ram", 10, 0, 0}, {"disk", 10, 5, 5}}); }

void BM_HRevolveTable(benchmark::State& state) {
  const long n = state.range(0);
  const Platform p = target_platform();
  for (auto _ : state) {
    memsched::HRevolveSolution s(n, p, 1.0, 1.0, memsched::HRevolveVariant::kCorrected);
    benchmark::DoNotOptimize(s.cost());
  }
  state.SetComplexityN(n);
}

// Level 0 with costs (w = r = (1, 5)): no closed form, the recurrence runs on both levels.
void BM_HRevolveTableCostlyRam(benchmark::State& state) {
  const long n = state.range(0);
  const Platform p({{"ram", 10, 1, 1}, {"disk", 10, 5, 5}});
  for (auto _ : state) {
    memsched::HRevolveSolution s(n, p, 1.0, 1.0, memsched::HRevolveVariant::kCorrected);
    benchmark::DoNotOptimize(s.cost());
  }
}

// Non-monotone costs (a cheaper slower level): the exact general recurrence over slot vectors.
void BM_HRevolveGeneral(benchmark::State& state) {
  const long n = state.range(0);
  const Platform p({{"ram", 10, 2, 2}, {"disk", 10, 1, 1}});
  for (auto _ : state) {
    memsched::HRevolveSolution s(n, p, 1.0, 1.0, memsched::HRevolveVariant::kGeneral);
    benchmark::DoNotOptimize(s.cost());
  }
}

// RAM with costs plus an unlimited disk: one row for the disk (docs/multilevel.md).
void BM_HRevolveUnlimitedDisk(benchmark::State& state) {
  const long n = state.range(0);
  const Platform p({{"ram", 10, 1, 1}, {"disk", memsched::kUnlimitedSlots, 5, 5}});
  for (auto _ : state) {
    memsched::HRevolveSolution s(n, p, 1.0, 1.0, memsched::HRevolveVariant::kCorrected);
    benchmark::DoNotOptimize(s.cost());
  }
}

void BM_PlainRecurrence(benchmark::State& state) {
  const long n = state.range(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(plain_hrevolve(n - 1, {10, 10}, {0, 5}, {0, 5}, 1.0, 1.0));
  }
  state.SetComplexityN(n);
}

void BM_HRevolveScheduleDrain(benchmark::State& state) {
  const long n = state.range(0);
  const Platform p = target_platform();
  const memsched::HRevolveSolution s(n, p, 1.0, 1.0, memsched::HRevolveVariant::kCorrected);
  for (auto _ : state) {
    memsched::HRevolveStream stream(s);
    long count = 0;
    while (stream.next()) ++count;
    benchmark::DoNotOptimize(count);
  }
}

void BM_DiskRevolveTable(benchmark::State& state) {
  memsched::DiskModel m;
  m.ram_slots = 10;
  m.write_cost = 5;
  m.read_cost = 5;
  // range(1) = 1: every split searched (Theta(n^2)), the reference the bounded search equals.
  const bool every_split = state.range(1) != 0;
  for (auto _ : state) {
    memsched::DiskRevolveTables t(state.range(0) - 1, m, every_split);
    benchmark::DoNotOptimize(t.optinf.back());
    state.counters["J"] = static_cast<double>(t.first_segment_limit);
  }
}

}  // namespace

BENCHMARK(BM_HRevolveTable)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(10000)
    ->Arg(20000)
    ->Arg(100000)
    ->Arg(200000)
    ->Arg(1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HRevolveTableCostlyRam)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HRevolveUnlimitedDisk)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HRevolveGeneral)->Arg(1000)->Arg(2000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainRecurrence)->Arg(1000)->Arg(5000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HRevolveScheduleDrain)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiskRevolveTable)
    ->Args({10000, 1})
    ->Args({100000, 1})
    ->Args({10000, 0})
    ->Args({100000, 0})
    ->Args({1000000, 0})
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
