// Running a task tree on the StarPU runtime under a memory bound (optional: needs StarPU).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// Options of execute_with_starpu.
struct StarpuOptions {
  std::int64_t workers = 2;              ///< CPU workers
  bool gate = true;                      ///< admit tasks with the activation gate (else submit all)
  Memory memory_bound = 0;               ///< the bound M of the gate, in the tree's memory units
  std::vector<NodeId> activation_order;  ///< empty: liu_optimal_traversal's order
  std::int64_t unit_bytes = 4096;        ///< bytes StarPU really allocates per memory unit
  double seconds_per_work = 1e-6;        ///< each task busy-waits work * this
  std::string scheduler = "eager";       ///< StarPU scheduling policy (STARPU_SCHED overrides)
};

/// What a StarPU run measured.
struct StarpuReport {
  bool completed = false;  ///< every task ran (false only if the gate could not proceed)
  std::int64_t tasks_run = 0;
  Memory peak = 0;       ///< model memory at task starts, as the tasks really ran
  double seconds = 0.0;  ///< wall time from first submission to the last completion
};

/// True if memsched was built with StarPU (pkg-config starpu-1.3).
bool have_starpu() noexcept;

/// Executes the tree with StarPU: one task per node, its output a StarPU vector of
/// max(f, 1) * unit_bytes bytes allocated lazily by StarPU on the task's first write, its
/// temporaries a scratch buffer of m * unit_bytes, its children's outputs read and released
/// (starpu_data_unregister_submit) once it is done. With `gate`, tasks are submitted in the
/// activation order σ only while the reservation of the activation gate stays within
/// memory_bound; StarPU's own schedulers ignore memory, its memory limit can hang
/// (docs/theory/trees.md), so admission is the bound's only guardian. The reported peak is
/// measured in the kernels (m + f added when a task starts, m + children's f removed when it
/// ends); it never exceeds the bound when gated, and the run completes whenever
/// memory_bound >= sequential_peak(tree, σ).
///
/// Initialises and shuts down StarPU (starpu_init / starpu_shutdown) around the run. Throws
/// std::invalid_argument for workers < 1, a negative bound or bad activation order,
/// std::runtime_error if StarPU is missing or fails to start.
StarpuReport execute_with_starpu(const Tree& tree, const StarpuOptions& options = {});

}  // namespace memsched
