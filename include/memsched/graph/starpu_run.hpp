// Running a graph on the StarPU runtime under a memory bound, with the activation gate of
// memory_bounded_parallel (optional: needs StarPU; library memsched::starpu).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/graph/graph.hpp"

namespace memsched::graph {

/// Options of execute_graph_with_starpu.
struct GraphStarpuOptions {
  std::int64_t workers = 2;                 ///< CPU workers
  bool gate = true;                         ///< admit nodes with the activation gate (else all)
  Bytes memory_bound = 0;                   ///< the bound M of the gate, in the graph's bytes
  std::vector<NodeIndex> activation_order;  ///< empty: default_activation_order(graph)
  double bytes_scale = 1.0;                 ///< StarPU allocates max(1, bytes * this) per buffer
  double seconds_per_time = 1e-6;           ///< each node busy-waits time(v) * this
  std::string scheduler = "eager";          ///< StarPU scheduling policy (STARPU_SCHED overrides)
};

/// What a StarPU run of a graph measured.
struct GraphStarpuReport {
  bool completed = false;  ///< every node ran (false only if the gate could not proceed)
  std::int64_t tasks_run = 0;
  Bytes peak = 0;        ///< model memory measured in the kernels, as the nodes really ran
  double seconds = 0.0;  ///< wall time from the first submission to the last completion
};

/// The largest buffer (an output or a temporary, after bytes_scale) a StarPU run allocates.
inline constexpr Bytes kMaxStarpuBufferBytes = Bytes{1} << 31;
/// The most a StarPU run may hold at once (after bytes_scale): the bound when gated (or all
/// buffers, if fewer), all buffers otherwise.
inline constexpr Bytes kMaxStarpuTotalBytes = Bytes{1} << 33;

/// True if memsched was built with StarPU.
bool have_starpu_graphs() noexcept;

/// Executes the graph with StarPU: one task per node; its output a StarPU vector allocated
/// lazily by StarPU on the task's write, its temporary a scratch buffer, its predecessors'
/// outputs read; an output is released (starpu_data_unregister_submit) after its last consumer
/// in the activation order is submitted, so StarPU frees it once every reader is done. With
/// `gate`, nodes are submitted in the activation order only while the reservation of
/// memory_bounded_parallel's gate (outputs resident + bytes + temp_bytes of submitted, unfinished
/// nodes) stays within memory_bound; StarPU's schedulers ignore memory, so admission is the
/// bound's only guardian. The reported peak is measured in the kernels (bytes + temp_bytes
/// added when a node starts; temp_bytes and the outputs it was the last to read removed when it
/// ends); it never exceeds the bound when gated, and the run completes whenever memory_bound >=
/// order_peak(graph, activation order).
///
/// Initialises and shuts down StarPU around the run. Throws std::invalid_argument for
/// workers < 1, a negative bound, a bad activation order, a scale or time not finite and
/// >= 0, a buffer above kMaxStarpuBufferBytes or a total above kMaxStarpuTotalBytes after
/// scaling (lower bytes_scale), std::runtime_error if StarPU is
/// missing or fails to start.
GraphStarpuReport execute_graph_with_starpu(const Graph& graph,
                                            const GraphStarpuOptions& options = {});

}  // namespace memsched::graph
