// Out-of-core traversals: running a tree in less memory than its peak by writing outputs to
// disk and reading them back before their consumer (the MinIO problem).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// Which resident outputs to write to disk when a task does not fit in memory.
enum class EvictionPolicy {
  kFurthestInFuture,  ///< the output whose consumer runs last (Belady; optimal for unit sizes)
  kLargestFirst,      ///< the largest outputs first
  kBestFit,           ///< the smallest output that covers the missing memory, else the largest
};

/// What an out-of-core run of a fixed order wrote.
struct OutOfCoreRun {
  Memory io_volume = 0;         ///< total size of the outputs written (each is read back once)
  std::int64_t num_writes = 0;  ///< number of outputs written
  Memory peak = 0;              ///< largest memory in use, <= the bound
  std::vector<NodeId> written;  ///< the written outputs, in order of writing
};

/// Runs `order` with at most `memory_bound` in memory: before task v runs, its children's
/// outputs that are on disk are read back, and if v's footprint (resident outputs + m_v + f_v)
/// exceeds the bound, resident outputs of other tasks are written to disk by `policy` until
/// it fits. Returns std::nullopt if some task alone needs more than the bound
/// (MemReq(v) > memory_bound); otherwise every task fits after eviction.
///
/// Throws std::invalid_argument if `order` is not a traversal or memory_bound < 0.
/// O(n log n).
std::optional<OutOfCoreRun> simulate_out_of_core(const Tree& tree, const std::vector<NodeId>& order,
                                                 Memory memory_bound, EvictionPolicy policy);

/// A lower bound on the I/O volume of any out-of-core run of `order` within memory_bound:
/// every output on disk at the order's peak moment counts, so I/O >= peak(order) - bound.
/// Throws like simulate_out_of_core. O(n).
Memory io_lower_bound(const Tree& tree, const std::vector<NodeId>& order, Memory memory_bound);

/// A lower bound over all orders: optimal peak (liu_optimal_traversal) - bound, or 0.
/// O(n log n).
Memory io_lower_bound(const Tree& tree, Memory memory_bound);

}  // namespace memsched
