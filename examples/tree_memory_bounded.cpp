// Parallel schedule of a task tree that never exceeds a memory bound: more memory, shorter
// makespan.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  memsched::RandomTreeOptions options;
  options.max_output = 100;
  const memsched::Tree tree = memsched::random_tree(5000, /*seed=*/7, options);
  const memsched::Memory optimum = memsched::liu_optimal_traversal(tree).peak;
  std::cout << "sequential optimum " << optimum << ", makespan lower bound on 8 processors "
            << memsched::makespan_lower_bound(tree, 8) << "\n";
  for (const double factor : {1.0, 1.5, 2.0, 4.0}) {
    const auto bound = static_cast<memsched::Memory>(factor * static_cast<double>(optimum));
    const auto schedule = memsched::memory_bounded_schedule(tree, 8, bound);
    if (!schedule || schedule->peak > bound) return 1;  // guaranteed not to happen
    std::cout << "bound " << bound << ": peak " << schedule->peak << ", makespan "
              << schedule->makespan << "\n";
  }
}
