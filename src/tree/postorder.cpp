// Liu's best post-order (1986) and its memory-capped variant for out-of-core runs.
#include "memsched/tree/postorder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "detail/tree_orders.hpp"

namespace memsched {

namespace {

// Subtree peaks of the post-order that runs children by non-increasing key(P_c) - f_c, with
// `sorted` receiving each node's children in that order (CSR layout of the tree). Liu 1986:
// running subtree c_j after c_1..c_{j-1} costs P_{c_j} + sum_{l<j} f_{c_l}; the exchange
// argument shows non-increasing P_c - f_c minimises the maximum.
template <class Key>
std::vector<Memory> subtree_peaks(const Tree& tree, Key key, std::vector<NodeId>* sorted) {
  std::vector<Memory> peak(static_cast<std::size_t>(tree.num_nodes()), 0);
  std::vector<NodeId> children;
  for (NodeId v : tree.postorder()) {
    children.assign(tree.children_begin(v), tree.children_end(v));
    // Children are stored in increasing id (input) order, so ties broken by id keep it.
    if (children.size() > 1) {
      std::sort(children.begin(), children.end(), [&](NodeId a, NodeId b) {
        const Memory ka = key(peak[static_cast<std::size_t>(a)]) - tree.output_size(a);
        const Memory kb = key(peak[static_cast<std::size_t>(b)]) - tree.output_size(b);
        return ka != kb ? ka > kb : a < b;
      });
    }
    Memory resident = 0;
    Memory p = 0;
    for (NodeId c : children) {
      p = std::max(p, resident + peak[static_cast<std::size_t>(c)]);
      resident += tree.output_size(c);
    }
    peak[static_cast<std::size_t>(v)] =
        std::max(p, resident + tree.exec_memory(v) + tree.output_size(v));
    if (sorted != nullptr) detail::store_children(tree, v, children, *sorted);
  }
  return peak;
}

template <class Key>
Traversal postorder_by(const Tree& tree, Key key) {
  std::vector<NodeId> sorted(static_cast<std::size_t>(tree.num_nodes()));
  const std::vector<Memory> peaks = subtree_peaks(tree, key, &sorted);
  Traversal result;
  result.order = detail::postorder_with_children(tree, sorted);
  result.peak = peaks[static_cast<std::size_t>(tree.root())];
  return result;
}

}  // namespace

std::vector<Memory> postorder_subtree_peaks(const Tree& tree) {
  return subtree_peaks(
      tree, [](Memory p) { return p; }, nullptr);
}

Traversal best_postorder(const Tree& tree) {
  return postorder_by(tree, [](Memory p) { return p; });
}

Traversal io_postorder(const Tree& tree, Memory memory_bound) {
  if (memory_bound < 0) {
    throw std::invalid_argument("io_postorder: negative memory bound " +
                                std::to_string(memory_bound));
  }
  Traversal result =
      postorder_by(tree, [memory_bound](Memory p) { return std::min(p, memory_bound); });
  // The capped keys reorder children, so the uncapped recursion no longer gives the peak.
  result.peak = sequential_peak(tree, result.order);
  return result;
}

}  // namespace memsched
