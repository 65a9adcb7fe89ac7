// Minimum-memory sequential traversals of a task tree (any topological order allowed).
#pragma once

#include "memsched/tree/traversal.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// A traversal of minimum peak memory among all topological orders (Liu 1987, generalized
/// tree pebbling, in the model with execution memory through the node-splitting conversion
/// of docs/theory/trees.md). Each subtree's optimal schedule is a list of (hill, valley)
/// segments in canonical form (hills strictly decreasing, valleys strictly increasing); a
/// node merges its children's segments by non-increasing hill - valley and appends itself.
///
/// Complexity: O(S log S) where S is the total number of segments handled, at most O(n^2)
/// and about O(n log n) on the random and assembly trees tried (a 10^6-node random tree takes
/// well under a second, docs/benchmarks.md). O(n) memory, no recursion.
///
/// ```
/// Traversal t = liu_optimal_traversal(tree);  // t.peak <= best_postorder(tree).peak
/// ```
Traversal liu_optimal_traversal(const Tree& tree);

/// A second minimum-memory algorithm, our reconstruction of MinMem (Jacquelin, Marchal,
/// Robert, Uçar, IPDPS 2011; docs/theory/trees.md): explore the out-tree top-down within a
/// budget and raise the budget to the smallest value that lets the exploration progress.
/// Returns the same peak as liu_optimal_traversal (possibly another order); slower: worst
/// case O(n^2) per budget and O(n) budgets. Recursion depth is the tree height; throws
/// std::invalid_argument if the height exceeds kMinMemMaxHeight.
Traversal minmem_traversal(const Tree& tree);

/// Largest tree height minmem_traversal accepts (it recurses once per level).
inline constexpr NodeId kMinMemMaxHeight = 20000;

}  // namespace memsched
