// The task-tree model: an in-tree of tasks with output sizes, execution memory and work.
#pragma once

#include <cstdint>
#include <vector>

namespace memsched {

/// A node index of a Tree, from 0 to num_nodes() - 1.
using NodeId = std::int64_t;

/// A memory size in any unit (bytes, matrix entries, ...), the same unit for every node.
using Memory = std::int64_t;

/// The largest total memory a Tree accepts (2^62): the sum of m_i + f_i over all nodes must
/// not exceed it, so every peak and every sum the planners form fits in 64 bits.
inline constexpr Memory kMaxTotalMemory = Memory{1} << 62;

/// One task of a tree, as given to the Tree constructor.
struct TreeNode {
  NodeId parent = -1;      ///< -1 for the root
  Memory output_size = 0;  ///< f_i: output kept in memory until the parent has run
  Memory exec_memory = 0;  ///< m_i: temporary memory used only while the task runs
  double work = 1.0;       ///< w_i: running time, in any unit of time
};

/// A rooted in-tree of tasks (Jacquelin, Marchal, Robert, Uçar, IPDPS 2011): a task may run
/// once all its children have run; while it runs it needs
///   MemReq(i) = sum of its children's f + m_i + f_i,
/// and afterwards its output f_i stays in memory until its parent has run.
/// Out-trees are handled by reversal: an order of the in-tree, reversed, is an order of the
/// out-tree with the same peak (docs/trees.md).
///
/// The constructor validates once: exactly one root, parents in range, no cycles, sizes
/// non-negative, work finite and non-negative, total memory <= kMaxTotalMemory. It throws
/// std::invalid_argument naming the first bad node otherwise. O(n) time and memory.
///
/// Example: a root with two leaves of output 2 and 3:
/// ```
/// Tree tree({{-1, 1, 0, 1.0}, {0, 2, 0, 1.0}, {0, 3, 0, 1.0}});
/// ```
class Tree {
 public:
  explicit Tree(std::vector<TreeNode> nodes);

  NodeId num_nodes() const noexcept { return static_cast<NodeId>(parent_.size()); }
  NodeId root() const noexcept { return root_; }

  /// Parent of node i, -1 for the root. Accessors do not check i: it must be in [0, n).
  NodeId parent(NodeId i) const { return parent_[index(i)]; }
  Memory output_size(NodeId i) const { return output_[index(i)]; }
  Memory exec_memory(NodeId i) const { return exec_[index(i)]; }
  double work(NodeId i) const { return work_[index(i)]; }

  /// Number of children of node i.
  NodeId num_children(NodeId i) const {
    return child_begin_[index(i) + 1] - child_begin_[index(i)];
  }
  /// The children of node i in input order: a pointer range [first, last).
  const NodeId* children_begin(NodeId i) const {
    return child_list_.data() + child_begin_[index(i)];
  }
  const NodeId* children_end(NodeId i) const {
    return child_list_.data() + child_begin_[index(i) + 1];
  }

  /// Sum of the children's outputs of node i.
  Memory children_output(NodeId i) const { return children_output_[index(i)]; }
  /// MemReq(i) = children_output(i) + m_i + f_i: memory needed while i runs.
  Memory mem_req(NodeId i) const { return children_output(i) + exec_memory(i) + output_size(i); }

  /// Nodes with every child before its parent (children in input order, depth first).
  /// Computed once; O(1).
  const std::vector<NodeId>& postorder() const noexcept { return postorder_; }

  /// Total work sum w_i.
  double total_work() const noexcept { return total_work_; }

  /// The nodes as given to the constructor (for writing the tree back).
  std::vector<TreeNode> nodes() const;

  friend bool operator==(const Tree& a, const Tree& b) noexcept;

 private:
  static std::size_t index(NodeId i) { return static_cast<std::size_t>(i); }

  NodeId root_ = -1;
  std::vector<NodeId> parent_;
  std::vector<Memory> output_;
  std::vector<Memory> exec_;
  std::vector<double> work_;
  std::vector<NodeId> child_begin_;  // CSR offsets, size n + 1
  std::vector<NodeId> child_list_;
  std::vector<Memory> children_output_;
  std::vector<NodeId> postorder_;
  double total_work_ = 0.0;
};

}  // namespace memsched
