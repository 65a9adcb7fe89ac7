// Exhaustive oracles for small task trees: minimum peak over all traversals, and the peak
// histogram over every topological order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched::test {

/// Minimum sequential peak over all traversals, by dynamic programming over the sets of
/// finished nodes closed under children (docs/theory/trees.md). n <= 22.
inline Memory brute_force_min_peak(const Tree& tree) {
  const auto n = static_cast<int>(tree.num_nodes());
  if (n > 22) throw std::invalid_argument("brute_force_min_peak: n > 22");
  const std::uint32_t full = (std::uint32_t{1} << n) - 1;
  std::vector<std::uint32_t> child_mask(static_cast<std::size_t>(n), 0);
  for (int v = 0; v < n; ++v) {
    if (tree.parent(v) >= 0) child_mask[static_cast<std::size_t>(tree.parent(v))] |= 1u << v;
  }
  constexpr Memory kUnset = std::numeric_limits<Memory>::max();
  std::vector<Memory> best(std::size_t{full} + 1, kUnset);
  best[0] = 0;
  // Sets in increasing numeric order: every subset of S is smaller than S.
  for (std::uint32_t s = 0; s <= full; ++s) {
    if (best[s] == kUnset) continue;
    Memory resident = 0;
    for (int v = 0; v < n; ++v) {
      if ((s >> v & 1u) && (tree.parent(v) < 0 || !(s >> tree.parent(v) & 1u))) {
        resident += tree.output_size(v);
      }
    }
    for (int v = 0; v < n; ++v) {
      const std::uint32_t bit = 1u << v;
      if ((s & bit) || (child_mask[static_cast<std::size_t>(v)] & ~s)) continue;
      const Memory peak = std::max(best[s], resident + tree.exec_memory(v) + tree.output_size(v));
      best[s | bit] = std::min(best[s | bit], peak);
    }
    if (s == full) break;
  }
  return best[full];
}

/// Peak -> number of topological orders with that peak (n <= 10).
inline std::map<Memory, std::int64_t> peak_histogram(const Tree& tree) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  std::map<Memory, std::int64_t> histogram;
  std::vector<NodeId> waiting(n);
  for (std::size_t v = 0; v < n; ++v) waiting[v] = tree.num_children(static_cast<NodeId>(v));
  std::vector<bool> done(n, false);
  // Recursive enumeration; fine for n <= 10.
  auto rec = [&](auto&& self, std::size_t count, Memory held, Memory peak) -> void {
    if (count == n) {
      ++histogram[peak];
      return;
    }
    for (std::size_t v = 0; v < n; ++v) {
      if (done[v] || waiting[v] != 0) continue;
      const auto id = static_cast<NodeId>(v);
      done[v] = true;
      const NodeId p = tree.parent(id);
      if (p >= 0) --waiting[static_cast<std::size_t>(p)];
      self(self, count + 1, held + tree.output_size(id) - tree.children_output(id),
           std::max(peak, held + tree.exec_memory(id) + tree.output_size(id)));
      if (p >= 0) ++waiting[static_cast<std::size_t>(p)];
      done[v] = false;
    }
  };
  rec(rec, 0, 0, 0);
  return histogram;
}

}  // namespace memsched::test
