// Validation of traversals and their exact sequential memory profile.
#include "memsched/tree/traversal.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace memsched {

void check_traversal(const Tree& tree, const std::vector<NodeId>& order, const char* caller) {
  const NodeId n = tree.num_nodes();
  if (static_cast<NodeId>(order.size()) != n) {
    throw std::invalid_argument(std::string(caller) + ": order has " +
                                std::to_string(order.size()) + " entries, tree has " +
                                std::to_string(n) + " nodes");
  }
  std::vector<NodeId> children_done(static_cast<std::size_t>(n), 0);
  std::vector<bool> done(static_cast<std::size_t>(n), false);
  for (std::size_t k = 0; k < order.size(); ++k) {
    const NodeId v = order[k];
    const std::string where = std::string(caller) + ": order[" + std::to_string(k) + "] = ";
    if (v < 0 || v >= n) throw std::invalid_argument(where + std::to_string(v) + " out of range");
    const auto vi = static_cast<std::size_t>(v);
    if (done[vi]) throw std::invalid_argument(where + std::to_string(v) + " repeated");
    if (children_done[vi] != tree.num_children(v)) {
      throw std::invalid_argument(where + std::to_string(v) + " runs before its children");
    }
    done[vi] = true;
    if (tree.parent(v) >= 0) ++children_done[static_cast<std::size_t>(tree.parent(v))];
  }
}

std::vector<Memory> memory_profile(const Tree& tree, const std::vector<NodeId>& order) {
  check_traversal(tree, order, "memory_profile");
  std::vector<Memory> profile;
  profile.reserve(order.size());
  Memory held = 0;
  for (NodeId v : order) {
    profile.push_back(held + tree.exec_memory(v) + tree.output_size(v));
    held += tree.output_size(v) - tree.children_output(v);
  }
  return profile;
}

Memory sequential_peak(const Tree& tree, const std::vector<NodeId>& order) {
  check_traversal(tree, order, "sequential_peak");
  Memory held = 0;
  Memory peak = 0;
  for (NodeId v : order) {
    peak = std::max(peak, held + tree.exec_memory(v) + tree.output_size(v));
    held += tree.output_size(v) - tree.children_output(v);
  }
  return peak;
}

}  // namespace memsched
