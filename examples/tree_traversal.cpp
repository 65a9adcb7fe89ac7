// Minimum-memory traversal of a task tree: the best post-order against the optimal order.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  // The six-node tree of docs/trees.md: A(f=1) has children B(2) -> D(1) -> F(3) and
  // C(2) -> E(2); no temporaries. Ids: A0 B1 C2 D3 E4 F5; fields parent, f, m, work.
  const memsched::Tree tree(
      {{-1, 1, 0, 1}, {0, 2, 0, 1}, {0, 2, 0, 1}, {1, 1, 0, 1}, {2, 2, 0, 1}, {3, 3, 0, 1}});
  const memsched::Traversal post = memsched::best_postorder(tree);
  const memsched::Traversal best = memsched::liu_optimal_traversal(tree);
  std::cout << "best post-order peak " << post.peak << "\noptimal peak        " << best.peak
            << "\noptimal order      ";
  for (memsched::NodeId v : best.order) std::cout << ' ' << "ABCDEF"[v];
  std::cout << "\n";
  // The simulator is the judge: the reported peak is the order's exact peak.
  return memsched::sequential_peak(tree, best.order) == best.peak && best.peak == 5 ? 0 : 1;
}
