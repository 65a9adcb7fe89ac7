// Post-order traversals: every subtree processed contiguously, children in the best order.
#pragma once

#include "memsched/tree/traversal.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// The post-order of minimum peak memory (Liu 1986). With P_c the peak of subtree c run
/// alone, children run by non-increasing P_c - f_c (ties: input order), and
///   P_i = max( max_j (P_{c_j} + sum_{l<j} f_{c_l}), sum_c f_c + m_i + f_i ).
/// The result can be arbitrarily worse than the optimal traversal (the harpoon trees of
/// docs/trees.md). O(n log n) time, O(n) memory, no recursion.
///
/// ```
/// Traversal t = best_postorder(tree);  // t.peak == sequential_peak(tree, t.order)
/// ```
Traversal best_postorder(const Tree& tree);

/// The post-order heuristic for a memory bound (Agullo, Guermouche, L'Excellent, SISC 2010):
/// Liu's rule with peaks capped by `memory_bound`, children by non-increasing
/// min(P_c, memory_bound) - f_c, meant for out-of-core runs. Equals best_postorder when the
/// bound is at least its peak. Throws std::invalid_argument if memory_bound < 0. O(n log n).
Traversal io_postorder(const Tree& tree, Memory memory_bound);

/// Peak of each subtree run alone with the best post-order (P_i above), indexed by node. O(n log
/// n).
std::vector<Memory> postorder_subtree_peaks(const Tree& tree);

}  // namespace memsched
