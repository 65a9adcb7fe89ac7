// Minimum-memory traversals: Liu's hill/valley segments (1987) and a MinMem reconstruction.
#include "memsched/tree/optimal_traversal.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace memsched {

namespace {

// One segment of a subtree's optimal schedule, relative to the valley before it (Liu 1987):
// the memory rises to `hill` above that valley and ends at `valley` above it. The segment's
// nodes are a linked list head..tail in `next`.
struct Segment {
  Memory hill;
  Memory valley;
  NodeId head;
  NodeId tail;
  Memory key() const { return hill - valley; }  // = H - V in absolute terms
};

// Appends `s` to the list segs[begin, begin + size) and restores the canonical form (hills
// strictly decreasing, valleys strictly increasing) by merging the last two segments while it
// is violated. In relative terms, prev = (a1, d1) then s = (a2, d2): H_s >= H_prev <=>
// d1 + a2 >= a1 and V_s <= V_prev <=> d2 <= 0; the merge is (max(a1, d1 + a2), d1 + d2).
// Returns the new size. Writes at most at segs[begin + size].
std::size_t push_normalized(std::vector<Segment>& segs, std::size_t begin, std::size_t size,
                            Segment s, std::vector<NodeId>& next) {
  while (size > 0) {
    const Segment& prev = segs[begin + size - 1];
    if (prev.valley + s.hill < prev.hill && s.valley > 0) break;
    next[static_cast<std::size_t>(prev.tail)] = s.head;
    s = Segment{std::max(prev.hill, prev.valley + s.hill), prev.valley + s.valley, prev.head,
                s.tail};
    --size;
  }
  segs[begin + size] = s;
  return size + 1;
}

}  // namespace

Traversal liu_optimal_traversal(const Tree& tree) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  std::vector<NodeId> next(n, -1);
  // Children's segment lists are contiguous at the top of one flat stack because nodes are
  // handled in post-order: a node pops its children's lists, merges them in place, pushes
  // its own. No allocation per node.
  std::vector<Segment> segs;
  segs.reserve(n + 1);
  std::vector<std::size_t> list_sizes;  // one entry per finished subtree waiting for its parent
  for (NodeId v : tree.postorder()) {
    const auto k = static_cast<std::size_t>(tree.num_children(v));
    std::size_t count = 0;
    for (std::size_t j = 0; j < k; ++j) {
      count += list_sizes.back();
      list_sizes.pop_back();
    }
    const std::size_t begin = segs.size() - count;
    // Merging the children's lists by largest H - V first is a sort by key: keys strictly
    // decrease inside a canonical list, so the sort keeps each child's own order.
    if (k > 1) {
      std::sort(segs.begin() + static_cast<std::ptrdiff_t>(begin), segs.end(),
                [](const Segment& a, const Segment& b) { return a.key() > b.key(); });
    }
    // In place: the write position begin + size never passes the read position j.
    std::size_t size = 0;
    for (std::size_t j = begin; j < begin + count; ++j) {
      size = push_normalized(segs, begin, size, segs[j], next);
    }
    // The node itself runs on top of its children's outputs: it needs m + f more and ends
    // with f in place of their outputs.
    const Segment own{tree.exec_memory(v) + tree.output_size(v),
                      tree.output_size(v) - tree.children_output(v), v, v};
    segs.resize(begin + size + 1);
    size = push_normalized(segs, begin, size, own, next);
    segs.resize(begin + size);
    list_sizes.push_back(size);
  }
  Traversal result;
  result.order.reserve(n);
  // Absolute hills of the root's list: H_k = V_{k-1} + hill_k; the first is the largest.
  Memory valley = 0;
  Memory peak = 0;
  for (const Segment& s : segs) {
    peak = std::max(peak, valley + s.hill);
    valley += s.valley;
    for (NodeId v = s.head;; v = next[static_cast<std::size_t>(v)]) {
      result.order.push_back(v);
      if (v == s.tail) break;
    }
  }
  result.peak = peak;
  return result;
}

namespace {

constexpr Memory kInfinity = std::numeric_limits<Memory>::max();

// Our reconstruction of MinMem's Explore (docs/theory/trees.md) on the out-tree view: node i's
// input f_i is resident and counted in `avail`. Explores what fits; keeps a child's
// exploration only if its frontier is no larger than f_child. `frontier` receives the nodes
// not run whose input is resident, `run` the nodes run (out-tree order), and the result is
// the smallest budget that would let the exploration progress further (kInfinity if done).
Memory explore(const Tree& tree, NodeId i, Memory avail, std::vector<NodeId>& frontier,
               std::vector<NodeId>& run) {
  if (tree.mem_req(i) > avail) {
    frontier.push_back(i);
    return tree.mem_req(i);
  }
  run.push_back(i);
  std::vector<NodeId> open(tree.children_begin(i), tree.children_end(i));
  Memory used = tree.children_output(i);
  Memory need = kInfinity;
  std::vector<NodeId> next_open;
  std::vector<NodeId> child_frontier;
  std::vector<NodeId> child_run;
  bool changed = true;
  while (changed) {
    changed = false;
    need = kInfinity;
    next_open.clear();
    for (NodeId c : open) {
      const Memory others = used - tree.output_size(c);
      child_frontier.clear();
      child_run.clear();
      const Memory child_need = explore(tree, c, avail - others, child_frontier, child_run);
      Memory frontier_size = 0;
      for (NodeId x : child_frontier) frontier_size += tree.output_size(x);
      if (!child_run.empty() && frontier_size <= tree.output_size(c)) {
        run.insert(run.end(), child_run.begin(), child_run.end());
        used += frontier_size - tree.output_size(c);
        next_open.insert(next_open.end(), child_frontier.begin(), child_frontier.end());
        changed = true;
      } else {
        next_open.push_back(c);
        if (child_need != kInfinity) need = std::min(need, child_need + others);
      }
    }
    open.swap(next_open);
  }
  frontier.insert(frontier.end(), open.begin(), open.end());
  return open.empty() ? kInfinity : need;
}

NodeId tree_height(const Tree& tree) {
  std::vector<NodeId> height(static_cast<std::size_t>(tree.num_nodes()), 1);
  for (NodeId v : tree.postorder()) {
    const NodeId p = tree.parent(v);
    if (p >= 0) {
      auto& hp = height[static_cast<std::size_t>(p)];
      hp = std::max(hp, height[static_cast<std::size_t>(v)] + 1);
    }
  }
  return height[static_cast<std::size_t>(tree.root())];
}

}  // namespace

Traversal minmem_traversal(const Tree& tree) {
  const NodeId height = tree_height(tree);
  if (height > kMinMemMaxHeight) {
    throw std::invalid_argument("minmem_traversal: tree height " + std::to_string(height) +
                                " exceeds " + std::to_string(kMinMemMaxHeight));
  }
  Memory budget = 0;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) budget = std::max(budget, tree.mem_req(v));
  std::vector<NodeId> frontier;
  std::vector<NodeId> run;
  for (;;) {
    frontier.clear();
    run.clear();
    const Memory need = explore(tree, tree.root(), budget, frontier, run);
    if (frontier.empty()) break;
    if (need == kInfinity || need <= budget) {
      throw std::logic_error("minmem_traversal: budget does not grow (internal error)");
    }
    budget = need;
  }
  Traversal result;
  result.order.assign(run.rbegin(), run.rend());
  result.peak = sequential_peak(tree, result.order);
  return result;
}

}  // namespace memsched
