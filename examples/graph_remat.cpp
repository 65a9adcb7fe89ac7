// A general graph: its minimum-peak order, then the fastest schedule within a smaller budget.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  using namespace memsched::graph;
  // Two branches joining: s -> a1 -> a2 -> t and s -> b1 -> b2 -> t; a1's output is large.
  const Graph g(
      {{"s", 1.0, 1, 0},
       {"a1", 2.0, 4, 0},
       {"a2", 1.0, 1, 0},
       {"b1", 1.0, 2, 0},
       {"b2", 1.0, 2, 0},
       {"t", 1.0, 1, 0}},
      std::vector<std::pair<std::string, std::string>>{
          {"s", "a1"}, {"a1", "a2"}, {"a2", "t"}, {"s", "b1"}, {"b1", "b2"}, {"b2", "t"}});
  const GraphTraversal order = min_peak_exact(g);
  std::cout << "minimum peak " << order.peak << ", order";
  for (NodeIndex v : order.order) std::cout << ' ' << g.id(v);
  std::cout << "\n";
  // Below that peak nothing fits without recomputation; min_feasible_budget says how low to go.
  const Bytes budget = min_feasible_budget(g);
  const auto plan = remat_exact(g, budget);
  std::cout << "budget " << budget << ": time " << plan->time << " instead of " << g.total_time()
            << ", schedule";
  for (const GraphOp& op : plan->schedule) std::cout << ' ' << to_string(op, g);
  std::cout << "\n";
  // The simulator is the judge of every schedule.
  const GraphSimulation sim = simulate(g, plan->schedule);
  return order.peak == 6 && sim.peak <= budget && sim.compute_time == plan->time ? 0 : 1;
}
