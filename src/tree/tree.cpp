// Validation and derived structure (children lists, post-order) of the task-tree model.
#include "memsched/tree/tree.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {
[[noreturn]] void fail(NodeId node, const std::string& what) {
  throw std::invalid_argument("Tree: node " + std::to_string(node) + ": " + what);
}
}  // namespace

Tree::Tree(std::vector<TreeNode> nodes) {
  const auto n = static_cast<NodeId>(nodes.size());
  if (n == 0) throw std::invalid_argument("Tree: no nodes");
  parent_.resize(nodes.size());
  output_.resize(nodes.size());
  exec_.resize(nodes.size());
  work_.resize(nodes.size());
  child_begin_.assign(nodes.size() + 1, 0);
  Memory total = 0;
  for (NodeId i = 0; i < n; ++i) {
    const TreeNode& node = nodes[index(i)];
    if (node.parent < -1 || node.parent >= n) {
      fail(i, "parent " + std::to_string(node.parent) + " out of range");
    }
    if (node.parent == i) fail(i, "is its own parent");
    if (node.parent == -1) {
      if (root_ != -1) fail(i, "second root (node " + std::to_string(root_) + " is a root)");
      root_ = i;
    }
    if (node.output_size < 0) fail(i, "negative output size " + std::to_string(node.output_size));
    if (node.exec_memory < 0) fail(i, "negative exec memory " + std::to_string(node.exec_memory));
    if (!std::isfinite(node.work) || node.work < 0) {
      fail(i, "work " + std::to_string(node.work) + " is not finite and non-negative");
    }
    // Checked one term at a time so the running sum never overflows.
    if (node.output_size > kMaxTotalMemory - total ||
        node.exec_memory > kMaxTotalMemory - total - node.output_size) {
      fail(i, "total memory exceeds 2^62");
    }
    total += node.output_size + node.exec_memory;
    parent_[index(i)] = node.parent;
    output_[index(i)] = node.output_size;
    exec_[index(i)] = node.exec_memory;
    work_[index(i)] = node.work;
    total_work_ += node.work;
    if (node.parent >= 0) ++child_begin_[index(node.parent) + 1];
  }
  if (root_ == -1) throw std::invalid_argument("Tree: no root (no node has parent -1)");
  for (std::size_t i = 0; i < nodes.size(); ++i) child_begin_[i + 1] += child_begin_[i];
  child_list_.resize(nodes.size() - 1);
  children_output_.assign(nodes.size(), 0);
  {
    std::vector<NodeId> fill(child_begin_.begin(), child_begin_.end() - 1);
    for (NodeId i = 0; i < n; ++i) {
      const NodeId p = parent_[index(i)];
      if (p < 0) continue;
      child_list_[index(fill[index(p)]++)] = i;
      children_output_[index(p)] += output_[index(i)];
    }
  }
  // Iterative depth-first post-order from the root: a node not reached lies on a cycle.
  postorder_.reserve(nodes.size());
  std::vector<NodeId> stack{root_};
  std::vector<NodeId> next_child(nodes.size(), 0);
  while (!stack.empty()) {
    const NodeId v = stack.back();
    if (next_child[index(v)] < num_children(v)) {
      stack.push_back(children_begin(v)[next_child[index(v)]++]);
    } else {
      postorder_.push_back(v);
      stack.pop_back();
    }
  }
  if (static_cast<NodeId>(postorder_.size()) != n) {
    std::vector<bool> reached(nodes.size(), false);
    for (NodeId v : postorder_) reached[index(v)] = true;
    NodeId first = 0;
    while (reached[index(first)]) ++first;
    fail(first, "lies on a cycle (not connected to the root)");
  }
}

std::vector<TreeNode> Tree::nodes() const {
  std::vector<TreeNode> result(parent_.size());
  for (std::size_t i = 0; i < parent_.size(); ++i) {
    result[i] = {parent_[i], output_[i], exec_[i], work_[i]};
  }
  return result;
}

bool operator==(const Tree& a, const Tree& b) noexcept {
  return a.parent_ == b.parent_ && a.output_ == b.output_ && a.exec_ == b.exec_ &&
         a.work_ == b.work_;
}

}  // namespace memsched
