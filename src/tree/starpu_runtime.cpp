// StarPU adapter: memory-bounded admission of tree tasks (built only when StarPU is found).
#include "memsched/tree/starpu_runtime.hpp"

#include <stdexcept>
#include <string>

#ifdef MEMSCHED_HAVE_STARPU
#include <starpu.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/traversal.hpp"
#endif

namespace memsched {

#ifdef MEMSCHED_HAVE_STARPU

namespace {

// Shared between the submitting thread, the kernels and the completion callbacks.
struct Run {
  const Tree* tree = nullptr;
  double seconds_per_work = 0.0;
  std::atomic<Memory> in_use{0};  // model memory of the tasks as they run
  std::atomic<Memory> peak{0};
  std::mutex mutex;
  std::condition_variable changed;
  Memory reserved = 0;       // the gate's R, under mutex
  std::int64_t running = 0;  // submitted, not completed, under mutex
  std::int64_t completed = 0;
};

struct TaskArgs {
  Run* run;
  NodeId node;
};

void kernel(void** buffers, void* cl_arg) {
  const auto* args = static_cast<const TaskArgs*>(cl_arg);
  Run& run = *args->run;
  const Tree& tree = *run.tree;
  const NodeId v = args->node;
  const Memory now = run.in_use += tree.exec_memory(v) + tree.output_size(v);
  Memory seen = run.peak.load();
  while (now > seen && !run.peak.compare_exchange_weak(seen, now)) {
  }
  // Touch the output and the scratch so the memory is really used.
  const auto children = static_cast<std::size_t>(tree.num_children(v));
  std::memset(
      reinterpret_cast<void*>(STARPU_VECTOR_GET_PTR(buffers[children])), 1,
      STARPU_VECTOR_GET_NX(buffers[children]) * STARPU_VECTOR_GET_ELEMSIZE(buffers[children]));
  if (tree.exec_memory(v) > 0) {
    std::memset(reinterpret_cast<void*>(STARPU_VECTOR_GET_PTR(buffers[children + 1])), 2,
                STARPU_VECTOR_GET_NX(buffers[children + 1]) *
                    STARPU_VECTOR_GET_ELEMSIZE(buffers[children + 1]));
  }
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration<double>(tree.work(v) * run.seconds_per_work);
  while (std::chrono::steady_clock::now() < until) {
  }
  run.in_use -= tree.exec_memory(v) + tree.children_output(v);
}

void completed(void* arg) {
  const auto* args = static_cast<const TaskArgs*>(arg);
  Run& run = *args->run;
  {
    std::lock_guard<std::mutex> lock(run.mutex);
    run.reserved -= run.tree->exec_memory(args->node) + run.tree->children_output(args->node);
    --run.running;
    ++run.completed;
  }
  run.changed.notify_all();
}

}  // namespace

bool have_starpu() noexcept { return true; }

StarpuReport execute_with_starpu(const Tree& tree, const StarpuOptions& options) {
  if (options.workers < 1) {
    throw std::invalid_argument("execute_with_starpu: workers " + std::to_string(options.workers) +
                                " < 1");
  }
  if (options.memory_bound < 0 || options.unit_bytes < 1 || !(options.seconds_per_work >= 0)) {
    throw std::invalid_argument("execute_with_starpu: negative bound, unit or time per work");
  }
  std::vector<NodeId> order = options.activation_order;
  if (order.empty()) {
    order = liu_optimal_traversal(tree).order;
  } else {
    check_traversal(tree, order, "execute_with_starpu");
  }
  // The library never prints: on a machine where StarPU has not yet calibrated its bus model,
  // starpu_init reports the calibration on stderr. A user's own STARPU_SILENT wins.
  setenv("STARPU_SILENT", "1", /*overwrite=*/0);
  starpu_conf conf;
  starpu_conf_init(&conf);
  conf.ncpus = static_cast<int>(options.workers);
  conf.ncuda = 0;
  conf.nopencl = 0;
  conf.sched_policy_name = options.scheduler.c_str();
  if (starpu_init(&conf) != 0) throw std::runtime_error("execute_with_starpu: starpu_init failed");

  starpu_codelet codelet;
  starpu_codelet_init(&codelet);
  codelet.cpu_funcs[0] = kernel;
  codelet.nbuffers = STARPU_VARIABLE_NBUFFERS;
  codelet.name = "memsched_tree_task";

  const auto n = static_cast<std::size_t>(tree.num_nodes());
  const auto unit = static_cast<std::size_t>(options.unit_bytes);
  std::vector<starpu_data_handle_t> output(n, nullptr);
  std::vector<TaskArgs> args(n);
  Run run;
  run.tree = &tree;
  run.seconds_per_work = options.seconds_per_work;
  StarpuReport report;
  const auto start = std::chrono::steady_clock::now();
  for (NodeId v : order) {
    const auto vi = static_cast<std::size_t>(v);
    const Memory need = tree.exec_memory(v) + tree.output_size(v);
    {
      std::unique_lock<std::mutex> lock(run.mutex);
      if (options.gate) {
        // Wait for memory; give up if nothing runs and the task still does not fit.
        run.changed.wait(
            lock, [&] { return run.reserved + need <= options.memory_bound || run.running == 0; });
        if (run.reserved + need > options.memory_bound) break;
      }
      run.reserved += need;
      ++run.running;
    }
    args[vi] = {&run, v};
    starpu_vector_data_register(
        &output[vi], -1, 0, static_cast<std::uint32_t>(std::max<Memory>(tree.output_size(v), 1)),
        unit);
    starpu_data_handle_t scratch = nullptr;
    std::vector<starpu_data_descr> descr;
    for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
      descr.push_back({output[static_cast<std::size_t>(*c)], STARPU_R});
    }
    descr.push_back({output[vi], STARPU_W});
    if (tree.exec_memory(v) > 0) {
      starpu_vector_data_register(&scratch, -1, 0, static_cast<std::uint32_t>(tree.exec_memory(v)),
                                  unit);
      descr.push_back({scratch, STARPU_SCRATCH});
    }
    // The arguments live in `args` until the end: StarPU must not free them (the _NFREE
    // forms; plain STARPU_CALLBACK_WITH_ARG frees its argument in StarPU 1.3).
    const int rc = starpu_task_insert(&codelet, STARPU_DATA_MODE_ARRAY, descr.data(),
                                      static_cast<int>(descr.size()), STARPU_CL_ARGS_NFREE,
                                      &args[vi], sizeof(TaskArgs), STARPU_CALLBACK_WITH_ARG_NFREE,
                                      completed, &args[vi], 0);
    if (rc != 0) {
      starpu_task_wait_for_all();
      starpu_shutdown();
      throw std::runtime_error("execute_with_starpu: starpu_task_insert failed (" +
                               std::to_string(rc) + ")");
    }
    // The children's outputs and the scratch are freed once this task is done.
    for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
      starpu_data_unregister_submit(output[static_cast<std::size_t>(*c)]);
      output[static_cast<std::size_t>(*c)] = nullptr;
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

bool have_starpu() noexcept { return false; }

StarpuReport execute_with_starpu(const Tree&, const StarpuOptions&) {
  throw std::runtime_error("execute_with_starpu: memsched was built without StarPU");
}

#endif

}  // namespace memsched
