// The worked examples of docs/theory/trees.md, shared by the tree tests.
#pragma once

#include "memsched/tree/tree.hpp"

namespace memsched::test {

/// Six nodes: A root; B -> D -> F and C -> E below it; m = 0. Ids: A0 B1 C2 D3 E4 F5.
/// Best post-order 6, optimum 5.
inline Tree six_node_tree() {
  return Tree(
      {{-1, 1, 0, 1}, {0, 2, 0, 1}, {0, 2, 0, 1}, {1, 1, 0, 1}, {2, 2, 0, 1}, {3, 3, 0, 1}});
}

/// Five nodes with temporaries: parents [-, 0, 0, 1, 3], f = (1, 2, 1, 1, 1), m = (0, 0, 2, 2, 0).
/// Best post-order 5, optimum 4 with the unique order 4 3 2 1 0.
inline Tree five_node_tree() {
  return Tree({{-1, 1, 0, 1}, {0, 2, 0, 1}, {0, 1, 2, 1}, {1, 1, 2, 1}, {3, 1, 0, 1}});
}

}  // namespace memsched::test
