// Tree generators: seeded random trees and the harpoon family of docs/theory/trees.md.
#pragma once

#include <cstdint>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// Shape of random_tree.
enum class RandomTreeShape {
  kRecursive,     ///< node k's parent is uniform among nodes 0..k-1 (depth ~ log n)
  kPreferential,  ///< parent chosen with probability proportional to 1 + its degree
  kDeep,          ///< parent uniform among the last 3 nodes created (depth ~ n/2)
};

/// Parameters of random_tree: sizes and work are integers drawn uniformly.
struct RandomTreeOptions {
  RandomTreeShape shape = RandomTreeShape::kRecursive;
  Memory min_output = 1;  ///< f in [min_output, max_output]
  Memory max_output = 10;
  Memory min_exec = 0;  ///< m in [min_exec, max_exec]
  Memory max_exec = 0;
  std::int64_t min_work = 1;  ///< w in [min_work, max_work]
  std::int64_t max_work = 10;
};

/// A random tree of `num_nodes` nodes, identical for the same seed on every platform
/// (std::mt19937_64 with our own range reduction); node ids are randomly permuted so the root
/// is not always node 0. Throws std::invalid_argument if num_nodes < 1 or a range is empty or
/// negative. O(n) (O(n log n) for kPreferential).
Tree random_tree(NodeId num_nodes, std::uint64_t seed, const RandomTreeOptions& options = {});

/// The harpoon tree H_K of docs/theory/trees.md (m = 0, unit work): b branches per level, K
/// levels, leaf output `big` (divisible by b), small outputs `epsilon`. Its best post-order
/// peaks at big + epsilon + K(b-1)big/b and its optimum at big + epsilon + K(b-1)epsilon
/// (both formulas need epsilon < big / b).
/// Throws std::invalid_argument if b < 2, levels < 0, big % b != 0 or epsilon < 1.
Tree harpoon_tree(std::int64_t branches, std::int64_t levels, Memory big, Memory epsilon);

}  // namespace memsched
