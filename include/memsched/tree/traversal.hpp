// Sequential traversals of a task tree: an execution order and its exact peak memory.
#pragma once

#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// A sequential execution order of a tree (children before parents) and its peak memory.
struct Traversal {
  std::vector<NodeId> order;  ///< every node once, each after all its children
  Memory peak = 0;            ///< sequential_peak(tree, order)

  friend bool operator==(const Traversal& a, const Traversal& b) noexcept {
    return a.order == b.order && a.peak == b.peak;
  }
};

/// Exact peak memory of running `order` on one processor (docs/theory/trees.md): before task i
/// starts, the outputs of finished tasks whose parent has not run are resident; while i runs
/// memory is that plus m_i + f_i (its children's outputs are among the resident ones); when it
/// ends the children's outputs are freed and f_i stays. The root's output stays at the end.
///
/// Throws std::invalid_argument if `order` is not a traversal: wrong length, an id out of
/// range or repeated, or a node before one of its children. O(n).
Memory sequential_peak(const Tree& tree, const std::vector<NodeId>& order);

/// Memory in use while each task of `order` runs (entry k for order[k]), same rules and
/// errors as sequential_peak; its maximum is the peak. O(n).
std::vector<Memory> memory_profile(const Tree& tree, const std::vector<NodeId>& order);

/// Throws std::invalid_argument naming `caller` unless `order` is a traversal of `tree`.
void check_traversal(const Tree& tree, const std::vector<NodeId>& order, const char* caller);

}  // namespace memsched
