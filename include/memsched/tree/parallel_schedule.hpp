// Parallel schedules of a task tree on p processors sharing one memory, and their simulator.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// When and where one task runs.
struct TaskRun {
  double start = 0.0;  ///< time units, >= 0
  double end = 0.0;    ///< start + work of the task
  std::int64_t processor = 0;
};

/// A parallel schedule: runs[i] is node i's run; start_order lists the nodes in the order
/// they were started (it breaks ties between starts at equal times). makespan and peak are
/// what simulate_parallel reports for it.
struct ParallelSchedule {
  std::vector<TaskRun> runs;
  std::vector<NodeId> start_order;
  double makespan = 0.0;
  Memory peak = 0;
};

/// Memory in use from `time` until the next sample.
struct MemorySample {
  double time = 0.0;
  Memory memory = 0;
};

/// What simulate_parallel measured.
struct ParallelReport {
  double makespan = 0.0;
  Memory peak = 0;
  std::vector<MemorySample> timeline;  ///< one sample per distinct event time, in time order
};

/// Checks and measures a parallel schedule in the shared-memory model of TOPC'15
/// (docs/theory/trees.md): when task i starts, memory grows by m_i + f_i; when it ends it
/// shrinks by m_i + sum of its children's f (f_i stays until the parent ends). At equal
/// times all completions are processed before any start; starts at equal times follow
/// `start_order` (default: the tree's post-order); a task of zero work ends right after its
/// own start. The peak is the largest memory after a start.
///
/// Throws std::invalid_argument naming the node if `runs` has the wrong size, start_order is
/// given and is not a traversal, a processor
/// is out of [0, processors), a start is negative or not finite, end != start + work (within
/// 1e-9 relative), a task starts before one of its children ends, or two runs overlap on one
/// processor. O(n log n).
ParallelReport simulate_parallel(const Tree& tree, const std::vector<TaskRun>& runs,
                                 std::int64_t processors,
                                 const std::vector<NodeId>& start_order = {});

/// Longest sum of work on a leaf-to-root path. O(n).
double critical_path(const Tree& tree);

/// Lower bound on the makespan of any schedule on p processors (TOPC'15 Lemma 1):
/// max(total work / p, critical path). Throws std::invalid_argument if processors < 1.
double makespan_lower_bound(const Tree& tree, std::int64_t processors);

/// The same bound for schedules that never use more than `memory_bound`: also at least the
/// memory-time area sum_i MemReq(i) * w_i / memory_bound (TOPC'15 Lemma 1). Throws
/// std::invalid_argument if processors < 1 or memory_bound < 1.
double makespan_lower_bound(const Tree& tree, std::int64_t processors, Memory memory_bound);

}  // namespace memsched
