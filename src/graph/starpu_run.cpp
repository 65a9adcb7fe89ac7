// StarPU adapter for graphs: memory-bounded admission of graph nodes (built with StarPU only).
// Task trees run through it as graphs (graph_from_tree: both models charge the same memory).
#include "memsched/graph/starpu_run.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "memsched/graph/convert.hpp"
#include "memsched/graph/parallel.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/starpu_runtime.hpp"
#include "memsched/tree/traversal.hpp"

#ifdef MEMSCHED_HAVE_STARPU
#include <starpu.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#endif

namespace memsched::graph {

namespace {

std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }

// Bytes StarPU allocates for a buffer of `bytes` model bytes.
Bytes scaled(Bytes bytes, double scale) {
  return std::max<Bytes>(1, static_cast<Bytes>(std::llround(static_cast<double>(bytes) * scale)));
}

void check_options(const Graph& graph, const GraphStarpuOptions& options) {
  const char* caller = "graph::execute_graph_with_starpu";
  if (options.workers < 1) {
    throw std::invalid_argument(std::string(caller) + ": workers " +
                                std::to_string(options.workers) + " < 1");
  }
  if (options.memory_bound < 0 || !std::isfinite(options.bytes_scale) || options.bytes_scale < 0 ||
      !std::isfinite(options.seconds_per_time) || options.seconds_per_time < 0) {
    throw std::invalid_argument(std::string(caller) +
                                ": negative bound, or scale or time per unit not finite and >= 0");
  }
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    const Bytes largest = std::max(graph.bytes(v), graph.temp_bytes(v));
    if (static_cast<double>(largest) * options.bytes_scale >
        static_cast<double>(kMaxStarpuBufferBytes)) {
      throw std::invalid_argument(std::string(caller) + ": node '" + graph.id(v).substr(0, 60) +
                                  "' needs a buffer of more than " +
                                  std::to_string(kMaxStarpuBufferBytes) + " bytes after scaling");
    }
  }
  // What StarPU would hold at most: every buffer, or the gate's bound when it is smaller.
  double total = 0.0;
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    total += static_cast<double>(scaled(graph.bytes(v), options.bytes_scale));
    if (graph.temp_bytes(v) > 0) {
      total += static_cast<double>(scaled(graph.temp_bytes(v), options.bytes_scale));
    }
  }
  if (options.gate) {
    total = std::min(total, static_cast<double>(options.memory_bound) * options.bytes_scale);
  }
  if (total > static_cast<double>(kMaxStarpuTotalBytes)) {
    throw std::invalid_argument(std::string(caller) + ": the run could hold about " +
                                std::to_string(static_cast<long long>(total)) +
                                " bytes, more than " + std::to_string(kMaxStarpuTotalBytes) +
                                "; lower bytes_scale");
  }
  if (!options.activation_order.empty()) check_order(graph, options.activation_order, caller);
}

}  // namespace

#ifdef MEMSCHED_HAVE_STARPU

namespace {

// Shared between the submitting thread, the kernels and the completion callbacks.
struct Run {
  const Graph* graph = nullptr;
  double seconds_per_time = 0.0;
  std::atomic<Bytes> in_use{0};  // model memory of the nodes as they run
  std::atomic<Bytes> peak{0};
  std::unique_ptr<std::atomic<std::int64_t>[]> kernel_readers;  // readers not yet ended
  std::mutex mutex;
  std::condition_variable changed;
  Bytes reserved = 0;                 // the gate's R, under mutex
  std::vector<std::int64_t> readers;  // under mutex: consumers not yet completed
  std::int64_t running = 0;           // submitted, not completed, under mutex
  std::int64_t completed = 0;
};

struct TaskArgs {
  Run* run;
  NodeIndex node;
};

void kernel(void** buffers, void* cl_arg) {
  const auto* args = static_cast<const TaskArgs*>(cl_arg);
  Run& run = *args->run;
  const Graph& graph = *run.graph;
  const NodeIndex v = args->node;
  const Bytes now = run.in_use += graph.bytes(v) + graph.temp_bytes(v);
  Bytes seen = run.peak.load();
  while (now > seen && !run.peak.compare_exchange_weak(seen, now)) {
  }
  // Touch the output and the scratch so that the memory is really used.
  const std::size_t inputs = graph.predecessors(v).size();
  for (std::size_t b = inputs; b < inputs + (graph.temp_bytes(v) > 0 ? 2 : 1); ++b) {
    std::memset(reinterpret_cast<void*>(STARPU_VECTOR_GET_PTR(buffers[b])), 1,
                STARPU_VECTOR_GET_NX(buffers[b]) * STARPU_VECTOR_GET_ELEMSIZE(buffers[b]));
  }
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration<double>(graph.time(v) * run.seconds_per_time);
  while (std::chrono::steady_clock::now() < until) {
  }
  Bytes released = graph.temp_bytes(v);
  for (NodeIndex u : graph.predecessors(v)) {
    if (--run.kernel_readers[at(u)] == 0) released += graph.bytes(u);
  }
  run.in_use -= released;
}

void completed(void* arg) {
  const auto* args = static_cast<const TaskArgs*>(arg);
  Run& run = *args->run;
  const Graph& graph = *run.graph;
  {
    std::lock_guard<std::mutex> lock(run.mutex);
    run.reserved -= graph.temp_bytes(args->node);
    for (NodeIndex u : graph.predecessors(args->node)) {
      if (--run.readers[at(u)] == 0) run.reserved -= graph.bytes(u);
    }
    --run.running;
    ++run.completed;
  }
  run.changed.notify_all();
}

}  // namespace

bool have_starpu_graphs() noexcept { return true; }

GraphStarpuReport execute_graph_with_starpu(const Graph& graph, const GraphStarpuOptions& options) {
  check_options(graph, options);
  const std::vector<NodeIndex> order =
      options.activation_order.empty() ? default_activation_order(graph) : options.activation_order;
  // The library never prints: starpu_init may report a bus calibration on stderr. A user's own
  // STARPU_SILENT wins.
  setenv("STARPU_SILENT", "1", /*overwrite=*/0);
  starpu_conf conf;
  starpu_conf_init(&conf);
  conf.ncpus = static_cast<int>(options.workers);
  conf.ncuda = 0;
  conf.nopencl = 0;
  conf.sched_policy_name = options.scheduler.c_str();
  if (starpu_init(&conf) != 0) {
    throw std::runtime_error("graph::execute_graph_with_starpu: starpu_init failed");
  }
  starpu_codelet codelet;
  starpu_codelet_init(&codelet);
  codelet.cpu_funcs[0] = kernel;
  codelet.nbuffers = STARPU_VARIABLE_NBUFFERS;
  codelet.name = "memsched_graph_node";

  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<starpu_data_handle_t> output(n, nullptr);
  std::vector<TaskArgs> args(n);
  std::vector<std::int64_t> unsubmitted_readers(n);
  Run run;
  run.graph = &graph;
  run.seconds_per_time = options.seconds_per_time;
  run.kernel_readers = std::make_unique<std::atomic<std::int64_t>[]>(n);
  run.readers.resize(n);
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    const auto readers = static_cast<std::int64_t>(graph.successors(v).size());
    run.kernel_readers[at(v)] = readers;
    run.readers[at(v)] = readers;
    unsubmitted_readers[at(v)] = readers;
  }
  GraphStarpuReport report;
  const auto start = std::chrono::steady_clock::now();
  for (NodeIndex v : order) {
    const Bytes need = graph.bytes(v) + graph.temp_bytes(v);
    {
      std::unique_lock<std::mutex> lock(run.mutex);
      if (options.gate) {
        // Wait for memory; give up if nothing runs and the node still does not fit.
        run.changed.wait(
            lock, [&] { return run.reserved + need <= options.memory_bound || run.running == 0; });
        if (run.reserved + need > options.memory_bound) break;
      }
      run.reserved += need;
      ++run.running;
    }
    args[at(v)] = {&run, v};
    starpu_vector_data_register(
        &output[at(v)], -1, 0,
        static_cast<std::uint32_t>(scaled(graph.bytes(v), options.bytes_scale)), 1);
    starpu_data_handle_t scratch = nullptr;
    std::vector<starpu_data_descr> descr;
    for (NodeIndex u : graph.predecessors(v)) descr.push_back({output[at(u)], STARPU_R});
    descr.push_back({output[at(v)], STARPU_W});
    if (graph.temp_bytes(v) > 0) {
      starpu_vector_data_register(
          &scratch, -1, 0,
          static_cast<std::uint32_t>(scaled(graph.temp_bytes(v), options.bytes_scale)), 1);
      descr.push_back({scratch, STARPU_SCRATCH});
    }
    // The arguments live in `args` until the end: StarPU must not free them (the _NFREE forms).
    const int rc = starpu_task_insert(&codelet, STARPU_DATA_MODE_ARRAY, descr.data(),
                                      static_cast<int>(descr.size()), STARPU_CL_ARGS_NFREE,
                                      &args[at(v)], sizeof(TaskArgs),
                                      STARPU_CALLBACK_WITH_ARG_NFREE, completed, &args[at(v)], 0);
    if (rc != 0) {
      starpu_task_wait_for_all();
      starpu_shutdown();
      throw std::runtime_error("graph::execute_graph_with_starpu: starpu_task_insert failed (" +
                               std::to_string(rc) + ")");
    }
    // An input read by no later node is freed once its readers are done.
    for (NodeIndex u : graph.predecessors(v)) {
      if (--unsubmitted_readers[at(u)] == 0) {
        starpu_data_unregister_submit(output[at(u)]);
        output[at(u)] = nullptr;
      }
    }
    if (scratch != nullptr) starpu_data_unregister_submit(scratch);
  }
  starpu_task_wait_for_all();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (starpu_data_handle_t& h : output) {
    if (h != nullptr) starpu_data_unregister(h);
  }
  starpu_shutdown();
  report.tasks_run = run.completed;
  report.completed = run.completed == static_cast<std::int64_t>(n);
  report.peak = run.peak.load();
  return report;
}

#else

bool have_starpu_graphs() noexcept { return false; }

GraphStarpuReport execute_graph_with_starpu(const Graph& graph, const GraphStarpuOptions& options) {
  check_options(graph, options);
  throw std::runtime_error("graph::execute_graph_with_starpu: memsched was built without StarPU");
}

#endif

}  // namespace memsched::graph

namespace memsched {

bool have_starpu() noexcept { return graph::have_starpu_graphs(); }

// The tree as a graph (node i is tree node i, its edge to the parent): the graph runner's kernel
// adds f + m when a node starts and removes m + the children's f when it ends, and its gate
// reserves f + m and releases m + the children's f, exactly the tree model's accounting.
StarpuReport execute_with_starpu(const Tree& tree, const StarpuOptions& options) {
  if (options.workers < 1) {
    throw std::invalid_argument("execute_with_starpu: workers " + std::to_string(options.workers) +
                                " < 1");
  }
  if (options.memory_bound < 0 || options.unit_bytes < 1 || !(options.seconds_per_work >= 0)) {
    throw std::invalid_argument("execute_with_starpu: negative bound, unit or time per work");
  }
  graph::GraphStarpuOptions o;
  o.workers = options.workers;
  o.gate = options.gate;
  o.memory_bound = options.memory_bound;
  o.bytes_scale = static_cast<double>(options.unit_bytes);
  o.seconds_per_time = options.seconds_per_work;
  o.scheduler = options.scheduler;
  std::vector<NodeId> order = options.activation_order;
  if (order.empty()) {
    order = liu_optimal_traversal(tree).order;
  } else {
    check_traversal(tree, order, "execute_with_starpu");
  }
  const graph::Graph as_graph = graph::graph_from_tree(tree);  // at most kMaxNodes nodes
  for (NodeId v : order) o.activation_order.push_back(static_cast<graph::NodeIndex>(v));
  if (!graph::have_starpu_graphs()) {
    throw std::runtime_error("execute_with_starpu: memsched was built without StarPU");
  }
  graph::GraphStarpuReport r;
  try {
    r = graph::execute_graph_with_starpu(as_graph, o);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("execute_with_starpu (the tree as a graph): ") +
                                e.what());
  }
  StarpuReport report;
  report.completed = r.completed;
  report.tasks_run = r.tasks_run;
  report.peak = r.peak;
  report.seconds = r.seconds;
  return report;
}

}  // namespace memsched
