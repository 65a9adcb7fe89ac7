// Private helpers: post-orders with a chosen child order, stored in the tree's CSR layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched::detail {

/// Writes `children` (a permutation of v's children) into `sorted` at v's CSR slots.
inline void store_children(const Tree& tree, NodeId v, const std::vector<NodeId>& children,
                           std::vector<NodeId>& sorted) {
  if (children.empty()) return;
  const auto offset = static_cast<std::size_t>(tree.children_begin(v) - tree.children_begin(0));
  std::copy(children.begin(), children.end(), sorted.begin() + static_cast<std::ptrdiff_t>(offset));
}

/// The post-order that visits each node's children in the order stored in `sorted` (CSR
/// layout, see store_children). Iterative, O(n).
inline std::vector<NodeId> postorder_with_children(const Tree& tree,
                                                   const std::vector<NodeId>& sorted) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  std::vector<NodeId> order;
  order.reserve(n);
  std::vector<NodeId> next(n, 0);
  std::vector<NodeId> stack{tree.root()};
  const NodeId* base = tree.children_begin(0);
  while (!stack.empty()) {
    const NodeId v = stack.back();
    const auto vi = static_cast<std::size_t>(v);
    if (next[vi] < tree.num_children(v)) {
      const auto offset = static_cast<std::size_t>(tree.children_begin(v) - base + next[vi]++);
      stack.push_back(sorted[offset]);
    } else {
      order.push_back(v);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace memsched::detail
