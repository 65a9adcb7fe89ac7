// How much do non-persistent schedules gain over the persistent optimum? Exhaustive search on
// seeded random chains, every budget from the smallest feasible to the store-all peak.
// Usage: nonpersistent_study [chains] [max_stages] [seed]
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

#include "memsched/hetero/exhaustive.hpp"
#include "memsched/hetero/persistent.hpp"

int main(int argc, char** argv) {
  using namespace memsched;
  const int chains = argc > 1 ? std::atoi(argv[1]) : 200;
  const int max_stages = argc > 2 ? std::atoi(argv[2]) : 6;
  const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> stages(2, max_stages), time(1, 9);
  std::uniform_int_distribution<Bytes> size(1, 8), extra(0, 8), tmp(0, 3);
  std::int64_t points = 0, better = 0, pin_off_better = 0;
  double worst = 0, worst_pin_off = 0, sum_gain = 0;
  for (int c = 0; c < chains; ++c) {
    const int n = stages(rng);
    std::vector<Bytes> x(static_cast<std::size_t>(n + 1));
    for (auto& v : x) v = size(rng);
    std::vector<HeteroStage> s;
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      s.push_back({static_cast<double>(time(rng)), static_cast<double>(time(rng)), x[k],
                   x[k + 1] + extra(rng), tmp(rng), tmp(rng)});
    }
    const HeteroChain chain(s, {x.back(), 0.0, tmp(rng)});
    PersistentOptions exact;
    exact.exact = true;
    HeteroExhaustiveOptions free_pins;
    free_pins.rules.pin_inputs = false;
    for (Bytes budget = chain.x(0); budget <= chain.store_all_peak(); ++budget) {
      const auto persistent = plan_persistent(chain, budget, exact);
      if (!persistent) continue;
      ++points;
      const auto general = plan_exhaustive(chain, budget);
      // The schedule found must replay legally within the budget, with its makespan.
      if (simulate(general->schedule, chain, budget).makespan != general->makespan) return 1;
      const double gain = 1.0 - general->makespan / persistent->makespan;
      if (gain > 1e-12) {
        ++better;
        sum_gain += gain;
        worst = std::max(worst, gain);
      }
      const auto unpinned = plan_exhaustive(chain, budget, free_pins);
      HeteroRules no_pin;
      no_pin.pin_inputs = false;
      if (simulate(unpinned->schedule, chain, budget, no_pin).makespan != unpinned->makespan)
        return 1;
      const double gain2 = 1.0 - unpinned->makespan / persistent->makespan;
      if (gain2 > 1e-12) {
        ++pin_off_better;
        worst_pin_off = std::max(worst_pin_off, gain2);
      }
    }
  }
  std::cout << "chains " << chains << ", stages 2.." << max_stages << ", feasible points " << points
            << "\n"
            << "non-persistent faster (pin rule on):  " << better << " points ("
            << 100.0 * static_cast<double>(better) / static_cast<double>(points)
            << " %), mean gain " << (better ? 100.0 * sum_gain / static_cast<double>(better) : 0)
            << " %, max " << 100.0 * worst << " %\n"
            << "faster without the pin rule:           " << pin_off_better << " points ("
            << 100.0 * static_cast<double>(pin_off_better) / static_cast<double>(points)
            << " %), max " << 100.0 * worst_pin_off << " %\n"
            << "every schedule replayed legally by simulate()\n";
}
