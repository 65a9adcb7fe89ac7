// Replays online schedules through the simulator over a large grid of lengths and slot counts
// (docs/online.md, "Legality"): every n <= 2000 for every c <= 50, a sparse set up to 10^5,
// both end modes. Prints one line per slot count; exits 1 at the first bad schedule.
//
//     build/release/bench/online_legality
#include <chrono>
#include <cstdio>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/online.hpp"

int main() {
  using memsched::OnlineEnd;
  using memsched::Step;
  const auto start = std::chrono::steady_clock::now();
  long long runs = 0;
  long long actions = 0;
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto check = [&](Step n, std::int64_t c) {
    for (OnlineEnd end : {OnlineEnd::kAfterLastStep, OnlineEnd::kBeforeLastStep}) {
      memsched::OnlineStream stream(n, c, 0, end);
      const memsched::SimulationReport report =
          memsched::simulate(stream, memsched::Chain(n), memsched::Platform::ram(c));
      if (report.levels[0].peak > c || report.adjoint_steps != n) {
        std::printf("bad schedule: n = %lld, c = %lld\n", static_cast<long long>(n),
                    static_cast<long long>(c));
        return false;
      }
      runs += 1;
      actions += report.num_actions;
    }
    return true;
  };
  for (std::int64_t c = 1; c <= 50; ++c) {
    for (Step n = 1; n <= (c == 1 ? 1000 : 2000); ++n) {
      if (!check(n, c)) return 1;
    }
    std::printf("c = %lld: every n <= %d legal (%lld runs, %lld actions, %.0f s)\n",
                static_cast<long long>(c), c == 1 ? 1000 : 2000, runs, actions, seconds());
    std::fflush(stdout);
  }
  for (std::int64_t c : {2, 3, 5, 8, 13, 21, 34, 50}) {
    for (Step n = 2001; n <= 100'000; n += (c <= 3 ? 9973 : 997)) {
      if (!check(n, c)) return 1;
    }
  }
  for (std::int64_t c = 1; c <= 50; ++c) {
    if (!check(c == 1 ? 10'000 : 100'000, c)) return 1;
  }
  std::printf("all legal: %lld schedules, %lld actions, %.0f s\n", runs, actions, seconds());
  return 0;
}
