// Measures the join planner against the naive plan (each branch reversed separately by
// Revolve) on a grid of join graphs and slot budgets; prints a Markdown table.
//
//     build/release/bench/join_gain
#include <cstdio>
#include <string>
#include <vector>

#include "memsched/join/plan.hpp"
#include "memsched/join/simulate.hpp"

int main() {
  using memsched::JoinGraph;
  using memsched::Step;
  struct Case {
    std::vector<Step> branches;
    Step handle;
  };
  const Case cases[] = {{{50, 50}, 10},
                        {{100, 20}, 10},
                        {{30, 20, 10}, 5},
                        {{40, 40, 40}, 20},
                        {{25, 25, 25, 25}, 10}};
  std::printf(
      "| branches | handle | slots | DP forward steps | outputs recomputed | naive | gain |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    const JoinGraph graph(c.branches, c.handle);
    std::string names;
    for (Step l : c.branches) names += (names.empty() ? "" : ",") + std::to_string(l);
    const std::int64_t k = graph.num_branches();
    for (std::int64_t slots : {2 * k - 1, 2 * k, 2 * k + 2, 2 * k + 6, 3 * k + 10}) {
      const auto plan = memsched::plan_join(graph, slots);
      const auto naive = memsched::plan_join_naive(graph, slots);
      if (!plan) continue;
      const auto report = memsched::simulate_join(plan->schedule, graph, slots);
      if (!naive) {
        std::printf("| %s | %lld | %lld | %lld | %lldx | does not fit | |\n", names.c_str(),
                    static_cast<long long>(c.handle), static_cast<long long>(slots),
                    static_cast<long long>(report.forward_steps),
                    static_cast<long long>(plan->recomputations));
        continue;
      }
      const auto nr = memsched::simulate_join(naive->schedule, graph, slots);
      std::printf("| %s | %lld | %lld | %lld | %lldx | %lld | %.1f%% |\n", names.c_str(),
                  static_cast<long long>(c.handle), static_cast<long long>(slots),
                  static_cast<long long>(report.forward_steps),
                  static_cast<long long>(plan->recomputations),
                  static_cast<long long>(nr.forward_steps),
                  100.0 * static_cast<double>(nr.forward_steps - report.forward_steps) /
                      static_cast<double>(nr.forward_steps));
    }
  }
  return 0;
}
