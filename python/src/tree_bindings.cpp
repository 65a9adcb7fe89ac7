// pybind11 bindings of the task-tree algorithms: the tree model, sequential traversals and
// their peak memory, out-of-core runs, parallel list schedules and their simulator, random
// trees. Orders, profiles and schedules are numpy arrays; every algorithm runs with the GIL
// released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "memsched/memsched.hpp"

namespace py = pybind11;

namespace memsched::python {

namespace {

// The limits of the command-line tool (docs/cli.md, Limits), enforced at the binding boundary
// so that a bad argument is a ValueError naming it, never a std::bad_alloc.
constexpr std::int64_t kMaxProcessors = std::int64_t{1} << 20;  // `--procs`
// `memsched tree random`: about 130 bytes a node, 1 GiB at most.
constexpr NodeId kMaxRandomNodes = (NodeId{1} << 30) / 130;

std::int64_t checked_processors(std::int64_t processors, const char* function) {
  if (processors < 1 || processors > kMaxProcessors) {
    throw py::value_error(std::string(function) + ": processors must be in [1, " +
                          std::to_string(kMaxProcessors) + "], got " + std::to_string(processors));
  }
  return processors;
}

// ---- conversions ---------------------------------------------------------------------

// A 1-D numpy array (or sequence) of integers as a vector; floats are refused rather than
// truncated.
std::vector<std::int64_t> int_vector(const py::handle& values, const char* what) {
  const py::module_ numpy = py::module_::import("numpy");
  const py::array array = numpy.attr("asarray")(values);
  const char kind = array.dtype().kind();
  if (array.ndim() != 1 || (array.size() > 0 && kind != 'i' && kind != 'u')) {
    throw py::value_error(std::string(what) + " must be a 1-D sequence of integers");
  }
  const auto typed =
      py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  return std::vector<std::int64_t>(typed.data(), typed.data() + typed.size());
}

std::vector<double> float_vector(const py::handle& values, const char* what) {
  const auto typed = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!typed || typed.ndim() != 1) {
    throw py::value_error(std::string(what) + " must be a 1-D sequence of numbers");
  }
  return std::vector<double>(typed.data(), typed.data() + typed.size());
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values) {
  py::array_t<T> array(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), array.mutable_data());
  return array;
}

Tree make_tree(const py::handle& parents, const py::handle& output_sizes,
               const py::handle& exec_memory, const py::handle& work) {
  const std::vector<std::int64_t> parent = int_vector(parents, "Tree: parents");
  const std::vector<std::int64_t> output = int_vector(output_sizes, "Tree: output_sizes");
  std::vector<std::int64_t> exec(parent.size(), 0);
  std::vector<double> works(parent.size(), 1.0);
  if (!exec_memory.is_none()) exec = int_vector(exec_memory, "Tree: exec_memory");
  if (!work.is_none()) works = float_vector(work, "Tree: work");
  if (output.size() != parent.size() || exec.size() != parent.size() ||
      works.size() != parent.size()) {
    throw py::value_error("Tree: parents, output_sizes, exec_memory and work differ in length");
  }
  std::vector<TreeNode> nodes(parent.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    nodes[i] = {parent[i], output[i], exec[i], works[i]};
  py::gil_scoped_release release;
  return Tree(std::move(nodes));
}

NodeId node_index(const Tree& tree, NodeId i) {
  if (i < 0) i += tree.num_nodes();
  if (i < 0 || i >= tree.num_nodes()) {
    throw py::index_error("Tree: no node " + std::to_string(i) + " (" +
                          std::to_string(tree.num_nodes()) + " nodes)");
  }
  return i;
}

template <typename Get, typename T = decltype(std::declval<Get>()(NodeId{}))>
py::array_t<T> per_node(const Tree& tree, Get get) {
  py::array_t<T> array(static_cast<py::ssize_t>(tree.num_nodes()));
  T* out = array.mutable_data();
  for (NodeId i = 0; i < tree.num_nodes(); ++i) out[i] = get(i);
  return array;
}

std::string traversal_repr(const Traversal& t) {
  return "Traversal(nodes=" + std::to_string(t.order.size()) + ", peak=" + std::to_string(t.peak) +
         ")";
}

std::string schedule_repr(const ParallelSchedule& s) {
  std::ostringstream out;
  out << "ParallelSchedule(nodes=" << s.runs.size() << ", makespan=" << s.makespan
      << ", peak=" << s.peak << ")";
  return out.str();
}

// Runs a Traversal-returning algorithm without the GIL.
template <typename F>
auto released(F&& f) {
  py::gil_scoped_release release;
  return f();
}

void bind_tree_model(py::module_& m) {
  py::class_<Tree>(m, "Tree",
                   "A rooted in-tree of tasks: node i has parent parents[i] (-1 for the root), "
                   "output size f_i, execution memory m_i and work w_i. While i runs it needs "
                   "MemReq(i) = sum of its children's f + m_i + f_i.")
      .def(py::init(&make_tree), py::arg("parents"), py::arg("output_sizes"),
           py::arg("exec_memory") = py::none(), py::arg("work") = py::none(),
           "Builds and validates a tree from per-node arrays (ValueError naming the first bad "
           "node: two roots, a cycle, a negative size, ...).")
      .def_property_readonly("num_nodes", &Tree::num_nodes)
      .def_property_readonly("root", &Tree::root)
      .def_property_readonly(
          "parents",
          [](const Tree& t) { return per_node(t, [&t](NodeId i) { return t.parent(i); }); })
      .def_property_readonly(
          "output_sizes",
          [](const Tree& t) { return per_node(t, [&t](NodeId i) { return t.output_size(i); }); })
      .def_property_readonly(
          "exec_memory",
          [](const Tree& t) { return per_node(t, [&t](NodeId i) { return t.exec_memory(i); }); })
      .def_property_readonly(
          "work", [](const Tree& t) { return per_node(t, [&t](NodeId i) { return t.work(i); }); })
      .def_property_readonly(
          "postorder", [](const Tree& t) { return to_array(t.postorder()); },
          "Nodes with every child before its parent (children in input order, depth first).")
      .def_property_readonly("total_work", &Tree::total_work)
      .def(
          "children",
          [](const Tree& t, NodeId i) {
            i = node_index(t, i);
            return to_array(std::vector<NodeId>(t.children_begin(i), t.children_end(i)));
          },
          py::arg("node"))
      .def(
          "mem_req", [](const Tree& t, NodeId i) { return t.mem_req(node_index(t, i)); },
          py::arg("node"), "MemReq(i) = children's outputs + m_i + f_i.")
      .def("to_text",
           [](const Tree& t) {
             std::ostringstream out;
             write_tree_text(out, t);
             return out.str();
           })
      .def("to_json",
           [](const Tree& t) {
             std::ostringstream out;
             write_tree_json(out, t);
             return out.str();
           })
      .def("__len__", &Tree::num_nodes)
      .def("__eq__", [](const Tree& a, const Tree& b) { return a == b; })
      .def("__ne__", [](const Tree& a, const Tree& b) { return !(a == b); })
      .def("__repr__", [](const Tree& t) {
        return "Tree(num_nodes=" + std::to_string(t.num_nodes()) +
               ", root=" + std::to_string(t.root()) + ")";
      });

  m.def(
      "parse_tree",
      [](const std::string& text) { return released([&] { return read_tree(text); }); },
      py::arg("text"),
      "A tree from text: JSON ({\"nodes\": [...]}) or the plain format 'id parent output_size "
      "exec_memory work' per line; ParseError with line and column.");
  m.def(
      "read_tree",
      [](const std::string& path) { return released([&] { return read_tree_file(path); }); },
      py::arg("path"), "parse_tree of a file's contents.");

  py::enum_<RandomTreeShape>(m, "RandomTreeShape")
      .value("RECURSIVE", RandomTreeShape::kRecursive)
      .value("PREFERENTIAL", RandomTreeShape::kPreferential)
      .value("DEEP", RandomTreeShape::kDeep);
  m.def(
      "random_tree",
      [](NodeId num_nodes, std::uint64_t seed, RandomTreeShape shape, Memory min_output,
         Memory max_output, Memory min_exec, Memory max_exec, std::int64_t min_work,
         std::int64_t max_work) {
        RandomTreeOptions options;
        options.shape = shape;
        options.min_output = min_output;
        options.max_output = max_output;
        options.min_exec = min_exec;
        options.max_exec = max_exec;
        options.min_work = min_work;
        options.max_work = max_work;
        if (num_nodes > kMaxRandomNodes) {
          throw py::value_error("random_tree: num_nodes " + std::to_string(num_nodes) +
                                " is above the limit of " + std::to_string(kMaxRandomNodes) +
                                " (1 GiB)");
        }
        return released([&] { return random_tree(num_nodes, seed, options); });
      },
      py::arg("num_nodes"), py::arg("seed"), py::kw_only(),
      py::arg("shape") = RandomTreeShape::kRecursive, py::arg("min_output") = 1,
      py::arg("max_output") = 10, py::arg("min_exec") = 0, py::arg("max_exec") = 0,
      py::arg("min_work") = 1, py::arg("max_work") = 10,
      "A seeded random tree, identical to `memsched tree random` for the same seed and ranges.");
  m.def("harpoon_tree", &harpoon_tree, py::arg("branches"), py::arg("levels"), py::arg("big"),
        py::arg("epsilon"),
        "The harpoon tree H_K of docs/trees.md: best post-order peak big + epsilon + "
        "K(b-1)big/b, optimum big + epsilon + K(b-1)epsilon.");
}

void bind_traversals(py::module_& m) {
  py::class_<Traversal>(m, "Traversal",
                        "A sequential order (children before parents) and its peak memory.")
      .def_property_readonly("order", [](const Traversal& t) { return to_array(t.order); })
      .def_readonly("peak", &Traversal::peak)
      .def("__len__", [](const Traversal& t) { return t.order.size(); })
      .def("__eq__", [](const Traversal& a, const Traversal& b) { return a == b; })
      .def("__ne__", [](const Traversal& a, const Traversal& b) { return !(a == b); })
      .def("__repr__", &traversal_repr);

  m.def(
      "best_postorder", [](const Tree& t) { return released([&] { return best_postorder(t); }); },
      py::arg("tree"), "The post-order of minimum peak (Liu 1986). O(n log n).");
  m.def(
      "liu_optimal_traversal",
      [](const Tree& t) { return released([&] { return liu_optimal_traversal(t); }); },
      py::arg("tree"), "A traversal of minimum peak among all orders (Liu 1987).");
  m.def(
      "minmem_traversal",
      [](const Tree& t) { return released([&] { return minmem_traversal(t); }); }, py::arg("tree"),
      "Minimum peak by MinMem (Jacquelin et al. 2011); slower, for checking.");
  m.def(
      "io_postorder",
      [](const Tree& t, Memory bound) { return released([&] { return io_postorder(t, bound); }); },
      py::arg("tree"), py::arg("memory_bound"),
      "Post-order with peaks capped at memory_bound (Agullo et al. 2010), for out-of-core runs.");
  m.def(
      "postorder_subtree_peaks",
      [](const Tree& t) { return to_array(released([&] { return postorder_subtree_peaks(t); })); },
      py::arg("tree"), "Best post-order peak of each subtree run alone, per node.");
  m.def(
      "sequential_peak",
      [](const Tree& t, const py::handle& order) {
        const std::vector<NodeId> o = int_vector(order, "sequential_peak: order");
        return released([&] { return sequential_peak(t, o); });
      },
      py::arg("tree"), py::arg("order"),
      "Exact peak memory of running `order` on one processor; ValueError if not a traversal.");
  m.def(
      "memory_profile",
      [](const Tree& t, const py::handle& order) {
        const std::vector<NodeId> o = int_vector(order, "memory_profile: order");
        return to_array(released([&] { return memory_profile(t, o); }));
      },
      py::arg("tree"), py::arg("order"), "Memory in use while each task of `order` runs.");
}

void bind_out_of_core(py::module_& m) {
  py::enum_<EvictionPolicy>(m, "EvictionPolicy")
      .value("FURTHEST_IN_FUTURE", EvictionPolicy::kFurthestInFuture)
      .value("LARGEST_FIRST", EvictionPolicy::kLargestFirst)
      .value("BEST_FIT", EvictionPolicy::kBestFit);

  py::class_<OutOfCoreRun>(m, "OutOfCoreRun", "What an out-of-core run of a fixed order wrote.")
      .def_readonly("io_volume", &OutOfCoreRun::io_volume)
      .def_readonly("num_writes", &OutOfCoreRun::num_writes)
      .def_readonly("peak", &OutOfCoreRun::peak)
      .def_property_readonly("written", [](const OutOfCoreRun& r) { return to_array(r.written); })
      .def("__repr__", [](const OutOfCoreRun& r) {
        return "OutOfCoreRun(io_volume=" + std::to_string(r.io_volume) +
               ", num_writes=" + std::to_string(r.num_writes) + ", peak=" + std::to_string(r.peak) +
               ")";
      });

  m.def(
      "simulate_out_of_core",
      [](const Tree& t, const py::handle& order, Memory bound, EvictionPolicy policy) {
        const std::vector<NodeId> o = int_vector(order, "simulate_out_of_core: order");
        return released([&] { return simulate_out_of_core(t, o, bound, policy); });
      },
      py::arg("tree"), py::arg("order"), py::arg("memory_bound"),
      py::arg("policy") = EvictionPolicy::kFurthestInFuture,
      "Runs `order` within memory_bound, writing outputs to disk by `policy`; None if a task "
      "alone needs more than the bound.");
  m.def(
      "io_lower_bound",
      [](const Tree& t, Memory bound, const py::object& order) {
        if (order.is_none()) return released([&] { return io_lower_bound(t, bound); });
        const std::vector<NodeId> o = int_vector(order, "io_lower_bound: order");
        return released([&] { return io_lower_bound(t, o, bound); });
      },
      py::arg("tree"), py::arg("memory_bound"), py::arg("order") = py::none(),
      "Lower bound on the I/O volume: of `order` (peak(order) - bound) or of any order.");
}

void bind_parallel(py::module_& m) {
  py::class_<ParallelSchedule>(m, "ParallelSchedule",
                               "When and where each task runs (numpy arrays indexed by node), "
                               "the order of the starts, and the simulated makespan and peak.")
      .def(py::init([](const py::handle& starts, const py::handle& ends,
                       const py::handle& processors, const py::object& start_order) {
             const std::vector<double> s = float_vector(starts, "ParallelSchedule: starts");
             const std::vector<double> e = float_vector(ends, "ParallelSchedule: ends");
             const std::vector<std::int64_t> p =
                 int_vector(processors, "ParallelSchedule: processors");
             if (s.size() != e.size() || s.size() != p.size()) {
               throw py::value_error("ParallelSchedule: starts, ends, processors differ in length");
             }
             ParallelSchedule schedule;
             for (std::size_t i = 0; i < s.size(); ++i) schedule.runs.push_back({s[i], e[i], p[i]});
             if (!start_order.is_none()) {
               schedule.start_order = int_vector(start_order, "ParallelSchedule: start_order");
             }
             return schedule;
           }),
           py::arg("starts"), py::arg("ends"), py::arg("processors"),
           py::arg("start_order") = py::none())
      .def_property_readonly("starts",
                             [](const ParallelSchedule& s) {
                               std::vector<double> v;
                               for (const TaskRun& r : s.runs) v.push_back(r.start);
                               return to_array(v);
                             })
      .def_property_readonly("ends",
                             [](const ParallelSchedule& s) {
                               std::vector<double> v;
                               for (const TaskRun& r : s.runs) v.push_back(r.end);
                               return to_array(v);
                             })
      .def_property_readonly("processors",
                             [](const ParallelSchedule& s) {
                               std::vector<std::int64_t> v;
                               for (const TaskRun& r : s.runs) v.push_back(r.processor);
                               return to_array(v);
                             })
      .def_property_readonly("start_order",
                             [](const ParallelSchedule& s) { return to_array(s.start_order); })
      .def_readonly("makespan", &ParallelSchedule::makespan)
      .def_readonly("peak", &ParallelSchedule::peak)
      .def("__len__", [](const ParallelSchedule& s) { return s.runs.size(); })
      .def("__repr__", &schedule_repr);

  py::class_<ParallelReport>(m, "ParallelReport",
                             "What simulate_parallel measured: makespan, peak, and the memory "
                             "timeline (timeline_time[k]: memory timeline_memory[k] from then).")
      .def_readonly("makespan", &ParallelReport::makespan)
      .def_readonly("peak", &ParallelReport::peak)
      .def_property_readonly("timeline_time",
                             [](const ParallelReport& r) {
                               std::vector<double> v;
                               for (const MemorySample& s : r.timeline) v.push_back(s.time);
                               return to_array(v);
                             })
      .def_property_readonly("timeline_memory",
                             [](const ParallelReport& r) {
                               std::vector<Memory> v;
                               for (const MemorySample& s : r.timeline) v.push_back(s.memory);
                               return to_array(v);
                             })
      .def("__repr__", [](const ParallelReport& r) {
        std::ostringstream out;
        out << "ParallelReport(makespan=" << r.makespan << ", peak=" << r.peak << ")";
        return out.str();
      });

  m.def(
      "simulate_parallel",
      [](const Tree& t, const ParallelSchedule& s, std::int64_t processors) {
        checked_processors(processors, "simulate_parallel");
        return released([&] { return simulate_parallel(t, s.runs, processors, s.start_order); });
      },
      py::arg("tree"), py::arg("schedule"), py::arg("processors"),
      "Checks a parallel schedule (ValueError naming the node if illegal) and measures it.");

  // The schedulers without memory bound, from the library's registry (the bounded ones take
  // their own arguments below).
  for (const TreeSchedulerInfo& scheduler : tree_schedulers()) {
    if (scheduler.memory_bounded) continue;
    const TreeSchedulerInfo* info = &scheduler;  // the registry lives as long as the program
    const std::string doc = "A parallel list schedule without memory bound: " + info->summary +
                            " (docs/trees.md), measured by simulate_parallel.";
    m.def(
        info->function_name.c_str(),
        [info](const Tree& t, std::int64_t processors) {
          checked_processors(processors, info->function_name.c_str());
          return released([&] { return *info->schedule(t, processors, {}); });
        },
        py::arg("tree"), py::arg("processors"), doc.c_str());
  }

  py::enum_<ExecutionPriority>(m, "ExecutionPriority")
      .value("ACTIVATION_ORDER", ExecutionPriority::kActivationOrder)
      .value("CRITICAL_PATH", ExecutionPriority::kCriticalPath);
  m.def(
      "memory_bounded_schedule",
      [](const Tree& t, std::int64_t processors, Memory bound, const py::object& activation_order,
         ExecutionPriority priority) {
        MemoryBoundedOptions options;
        if (!activation_order.is_none()) {
          options.activation_order =
              int_vector(activation_order, "memory_bounded_schedule: activation_order");
        }
        options.priority = priority;
        checked_processors(processors, "memory_bounded_schedule");
        return released([&] { return memory_bounded_schedule(t, processors, bound, options); });
      },
      py::arg("tree"), py::arg("processors"), py::arg("memory_bound"), py::kw_only(),
      py::arg("activation_order") = py::none(),
      py::arg("priority") = ExecutionPriority::kCriticalPath,
      "List scheduling that never exceeds memory_bound (the activation gate); completes "
      "whenever memory_bound >= sequential_peak(tree, activation_order), else may be None.");
  m.def(
      "memory_aware_mapping",
      [](const Tree& t, std::int64_t processors, Memory bound) {
        checked_processors(processors, "memory_aware_mapping");
        return released([&] { return memory_aware_mapping(t, processors, bound); });
      },
      py::arg("tree"), py::arg("processors"), py::arg("memory_bound"),
      "Memory-aware mapping (Agullo et al. 2016): peak <= memory_bound, None below the "
      "sequential optimum.");
  const auto intervals = [](const std::vector<ProcessorInterval>& list) {
    py::array_t<std::int64_t> array({static_cast<py::ssize_t>(list.size()), py::ssize_t{2}});
    auto out = array.mutable_unchecked<2>();
    for (std::size_t i = 0; i < list.size(); ++i) {
      out(static_cast<py::ssize_t>(i), 0) = list[i].first;
      out(static_cast<py::ssize_t>(i), 1) = list[i].last;
    }
    return array;
  };
  m.def(
      "proportional_intervals",
      [intervals](const Tree& t, std::int64_t processors) {
        checked_processors(processors, "proportional_intervals");
        return intervals(released([&] { return proportional_intervals(t, processors); }));
      },
      py::arg("tree"), py::arg("processors"),
      "Each node's processor interval [first, last] under proportional mapping (n x 2 array).");
  m.def(
      "memory_aware_intervals",
      [intervals](const Tree& t, std::int64_t processors, Memory bound) {
        checked_processors(processors, "memory_aware_intervals");
        return intervals(released([&] { return memory_aware_intervals(t, processors, bound); }));
      },
      py::arg("tree"), py::arg("processors"), py::arg("memory_bound"),
      "Each node's processor interval under the memory-aware mapping (n x 2 array).");
  m.def("critical_path", &critical_path, py::arg("tree"),
        "Longest sum of work on a leaf-to-root path.");
  m.def(
      "makespan_lower_bound",
      [](const Tree& t, std::int64_t processors, std::optional<Memory> bound) {
        checked_processors(processors, "makespan_lower_bound");
        if (bound) return makespan_lower_bound(t, processors, *bound);
        return makespan_lower_bound(t, processors);
      },
      py::arg("tree"), py::arg("processors"), py::arg("memory_bound") = py::none(),
      "max(total work / p, critical path), and with a bound also sum MemReq * w / bound.");
}

void bind_tree_pictures(py::module_& m) {
  m.def(
      "traversal_svg",
      [](const Tree& t, const Traversal& traversal) {
        py::gil_scoped_release release;
        std::ostringstream out;
        write_traversal_svg(out, t, traversal);
        return out.str();
      },
      py::arg("tree"), py::arg("traversal"),
      "The tree with its traversal order above the memory plot, as an SVG document.");
  m.def(
      "parallel_svg",
      [](const Tree& t, const ParallelSchedule& schedule, std::int64_t processors, Memory bound) {
        py::gil_scoped_release release;
        std::ostringstream out;
        write_parallel_svg(out, t, schedule, processors, bound);
        return out.str();
      },
      py::arg("tree"), py::arg("schedule"), py::arg("processors"), py::arg("memory_bound") = 0,
      "A Gantt chart above the memory timeline, as an SVG document.");
}

}  // namespace

void bind_tree(py::module_& m) {
  bind_tree_model(m);
  bind_traversals(m);
  bind_out_of_core(m);
  bind_parallel(m);
  bind_tree_pictures(m);
}

}  // namespace memsched::python
