// Seeded random trees and the harpoon family.
#include "memsched/tree/generate.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace memsched {

namespace {

// Uniform integer in [lo, hi]; std::uniform_int_distribution differs between standard
// libraries, so seeds would not reproduce across platforms.
std::int64_t draw(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(span == 0 ? rng() : rng() % span);
}

void check_range(std::int64_t lo, std::int64_t hi, const char* what) {
  if (lo < 0 || hi < lo) {
    throw std::invalid_argument(std::string("random_tree: bad ") + what + " range [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

}  // namespace

Tree random_tree(NodeId num_nodes, std::uint64_t seed, const RandomTreeOptions& options) {
  if (num_nodes < 1) {
    throw std::invalid_argument("random_tree: num_nodes " + std::to_string(num_nodes) + " < 1");
  }
  check_range(options.min_output, options.max_output, "output");
  check_range(options.min_exec, options.max_exec, "exec memory");
  check_range(options.min_work, options.max_work, "work");
  std::mt19937_64 rng(seed);
  const auto n = static_cast<std::size_t>(num_nodes);
  std::vector<NodeId> parent(n, -1);
  std::vector<NodeId> urn;  // kPreferential: node k appears 1 + degree(k) times
  for (std::size_t k = 1; k < n; ++k) {
    const auto last = static_cast<std::int64_t>(k) - 1;
    switch (options.shape) {
      case RandomTreeShape::kRecursive:
        parent[k] = draw(rng, 0, last);
        break;
      case RandomTreeShape::kPreferential:
        if (urn.empty()) urn.push_back(0);
        parent[k] =
            urn[static_cast<std::size_t>(draw(rng, 0, static_cast<std::int64_t>(urn.size()) - 1))];
        urn.push_back(parent[k]);
        urn.push_back(static_cast<NodeId>(k));
        break;
      case RandomTreeShape::kDeep:
        parent[k] = draw(rng, std::max<std::int64_t>(0, last - 2), last);
        break;
    }
  }
  std::vector<NodeId> label(n);
  for (std::size_t k = 0; k < n; ++k) label[k] = static_cast<NodeId>(k);
  for (std::size_t k = n; k > 1; --k) {
    std::swap(label[k - 1],
              label[static_cast<std::size_t>(draw(rng, 0, static_cast<std::int64_t>(k) - 1))]);
  }
  std::vector<TreeNode> nodes(n);
  for (std::size_t k = 0; k < n; ++k) {
    TreeNode& node = nodes[static_cast<std::size_t>(label[k])];
    node.parent = parent[k] < 0 ? -1 : label[static_cast<std::size_t>(parent[k])];
    node.output_size = draw(rng, options.min_output, options.max_output);
    node.exec_memory = draw(rng, options.min_exec, options.max_exec);
    node.work = static_cast<double>(draw(rng, options.min_work, options.max_work));
  }
  return Tree(std::move(nodes));
}

Tree harpoon_tree(std::int64_t branches, std::int64_t levels, Memory big, Memory epsilon) {
  if (branches < 2 || levels < 0 || big < 1 || big % branches != 0 || epsilon < 1) {
    throw std::invalid_argument(
        "harpoon_tree: need branches >= 2, levels >= 0, big > 0 "
        "divisible by branches, epsilon >= 1 (got " +
        std::to_string(branches) + ", " + std::to_string(levels) + ", " + std::to_string(big) +
        ", " + std::to_string(epsilon) + ")");
  }
  std::vector<TreeNode> nodes;
  // Builds H_level under `parent` (the root if parent == -1), iteratively.
  struct Pending {
    NodeId parent;
    std::int64_t level;
  };
  std::vector<Pending> todo{{-1, levels}};
  while (!todo.empty()) {
    const Pending p = todo.back();
    todo.pop_back();
    const auto top = static_cast<NodeId>(nodes.size());
    nodes.push_back({p.parent, epsilon, 0, 1.0});
    if (p.level == 0) {
      nodes.push_back({top, big, 0, 1.0});  // H_0 = d -> l with f_l = big
      continue;
    }
    for (std::int64_t j = 0; j < branches; ++j) {
      const auto a = static_cast<NodeId>(nodes.size());
      nodes.push_back({top, big / branches, 0, 1.0});
      todo.push_back({a, p.level - 1});
    }
  }
  return Tree(std::move(nodes));
}

}  // namespace memsched
