// pybind11 bindings of the graph layer: the Graph model, its JSON files, minimum-peak orders,
// rematerialization under a byte budget, out-of-core and memory-bounded parallel schedules.
// Orders and schedules use node ids; every planner runs with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "memsched/memsched.hpp"

namespace py = pybind11;

namespace memsched::python {

namespace {

using graph::Bytes;
using graph::Graph;

std::vector<std::string> ids(const Graph& g, const std::vector<graph::NodeIndex>& order) {
  std::vector<std::string> out;
  out.reserve(order.size());
  for (graph::NodeIndex v : order) out.push_back(g.id(v));
  return out;
}

py::dict traversal_dict(const Graph& g, const graph::GraphTraversal& t) {
  py::dict out;
  out["order"] = ids(g, t.order);
  out["peak"] = t.peak;
  out["lower_bound"] = t.lower_bound;
  out["optimal"] = t.optimal;
  return out;
}

py::object plan_dict(const Graph& g, const std::optional<graph::RematPlan>& plan) {
  if (!plan) return py::none();
  py::list schedule;
  for (const graph::GraphOp& op : plan->schedule) {
    schedule.append(py::make_tuple(graph::to_string(op.kind), g.id(op.node)));
  }
  py::dict out;
  out["time"] = plan->time;
  out["peak"] = plan->peak;
  out["optimal"] = plan->optimal;
  out["lower_bound"] = plan->lower_bound;
  out["schedule"] = schedule;
  return std::move(out);
}

// Node indices from ids; ValueError naming `argument` for an unknown id.
std::vector<graph::NodeIndex> indices(const Graph& g, const std::vector<std::string>& order,
                                      const char* argument) {
  std::vector<graph::NodeIndex> out;
  out.reserve(order.size());
  for (const std::string& id : order) {
    const auto v = g.find(id);
    if (!v) throw py::value_error(std::string(argument) + ": unknown node '" + id + "'");
    out.push_back(*v);
  }
  return out;
}

py::list schedule_list(const Graph& g, const graph::GraphSchedule& schedule) {
  py::list out;
  for (const graph::GraphOp& op : schedule) {
    out.append(py::make_tuple(graph::to_string(op.kind), g.id(op.node)));
  }
  return out;
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<Graph>(m, "Graph",
                    "A computation DAG in the node-output memory model (docs/graphs.md).")
      .def(py::init([](const std::vector<std::tuple<std::string, double, Bytes, Bytes>>& nodes,
                       const std::vector<std::pair<std::string, std::string>>& edges) {
             std::vector<graph::GraphNode> list;
             list.reserve(nodes.size());
             for (const auto& [id, time, bytes, temp] : nodes)
               list.push_back({id, time, bytes, temp});
             return Graph(std::move(list), edges);
           }),
           py::arg("nodes"), py::arg("edges"),
           "nodes: (id, time, bytes, temp_bytes) tuples; edges: (producer, consumer) id pairs. "
           "ValueError on a cycle, a repeated id or a bad size.")
      .def_property_readonly("num_nodes", &Graph::num_nodes)
      .def_property_readonly("num_edges", &Graph::num_edges)
      .def_property_readonly("ids",
                             [](const Graph& g) {
                               std::vector<std::string> out;
                               for (const auto& node : g.nodes()) out.push_back(node.id);
                               return out;
                             })
      .def_property_readonly("total_time", &Graph::total_time)
      .def(
          "to_json",
          [](const graph::Graph& g) {
            std::ostringstream out;
            graph::write_graph_json(out, g);
            return out.str();
          },
          "The graph in the JSON file format.")
      .def("__repr__", [](const Graph& g) {
        return "Graph(" + std::to_string(g.num_nodes()) + " nodes, " +
               std::to_string(g.num_edges()) + " edges)";
      });
  m.def("parse_graph", &graph::read_graph_json, py::arg("text"),
        "A graph from its JSON text; ParseError (a ValueError) on malformed input.");
  m.def(
      "graph_min_peak",
      [](const Graph& g, bool exact) {
        graph::GraphTraversal t;
        {
          py::gil_scoped_release release;
          t = exact ? graph::min_peak_exact(g) : graph::min_peak_heuristic(g);
        }
        return traversal_dict(g, t);
      },
      py::arg("graph"), py::arg("exact") = true,
      "Order of minimum peak (each node once): {'order', 'peak', 'lower_bound', 'optimal'}. "
      "exact=True: dynamic program over downsets (ValueError beyond its limits).");
  m.def(
      "graph_remat",
      [](const Graph& g, Bytes budget, const std::string& algorithm) {
        if (algorithm != "exact" && algorithm != "greedy" && algorithm != "decomposition") {
          throw py::value_error("algorithm must be 'exact', 'greedy' or 'decomposition', got '" +
                                algorithm + "'");
        }
        std::optional<graph::RematPlan> plan;
        {
          py::gil_scoped_release release;
          if (algorithm == "decomposition") {
            plan = graph::remat_decomposition(g, budget).plan;
          } else {
            plan = algorithm == "exact" ? graph::remat_exact(g, budget)
                                        : graph::remat_greedy(g, budget);
          }
        }
        return plan_dict(g, plan);
      },
      py::arg("graph"), py::arg("budget"), py::arg("algorithm") = "exact",
      "Fastest schedule with peak <= budget (recomputation allowed): {'time', 'peak', "
      "'optimal', 'lower_bound', 'schedule': [(op, id), ...]}, or None if none fits. "
      "algorithm: 'exact' (small graphs), 'greedy', or 'decomposition' (blocks of a training "
      "graph planned by the persistent chain DP; ValueError without block structure).");
  m.def(
      "graph_min_feasible_budget",
      [](const Graph& g) {
        py::gil_scoped_release release;
        return graph::min_feasible_budget(g);
      },
      py::arg("graph"), "Smallest budget for which a schedule exists (exact, small graphs).");
  m.def(
      "graph_is_series_parallel",
      [](const Graph& g) {
        py::gil_scoped_release release;
        return graph::is_series_parallel(g);
      },
      py::arg("graph"),
      "True if the graph, with one source joined to its sources and one target joined from its "
      "sinks, is two-terminal series-parallel.");
  m.def(
      "graph_min_peak_series_parallel",
      [](const Graph& g) {
        graph::GraphTraversal t;
        {
          py::gil_scoped_release release;
          t = graph::min_peak_series_parallel(g);
        }
        return traversal_dict(g, t);
      },
      py::arg("graph"),
      "Order of a series-parallel graph by Kayaaslan et al.'s algorithm, in polynomial time: "
      "{'order', 'peak', 'lower_bound', 'optimal'} (optimal when certified). ValueError if the "
      "graph is not series-parallel.");
  m.def(
      "graph_out_of_core",
      [](const Graph& g, Bytes memory, std::optional<std::vector<std::string>> order,
         const std::string& policy) -> py::object {
        if (policy != "furthest" && policy != "largest") {
          throw py::value_error("policy must be 'furthest' or 'largest', got '" + policy + "'");
        }
        if (memory < 0) throw py::value_error("memory must be >= 0");
        std::optional<graph::OutOfCorePlan> plan;
        graph::GraphTraversal t;
        if (order) {
          t.order = indices(g, *order, "order");
          t.lower_bound = graph::peak_lower_bound(g);
        }
        {
          py::gil_scoped_release release;
          if (!order) t = graph::default_traversal(g);
          plan = graph::out_of_core_schedule(g, t.order, memory,
                                             policy == "largest"
                                                 ? graph::GraphEvictionPolicy::kLargestFirst
                                                 : graph::GraphEvictionPolicy::kFurthestNextUse);
        }
        if (!plan) return py::none();
        py::dict out;
        out["order"] = ids(g, plan->order);
        out["order_peak"] = plan->order_peak;
        out["peak"] = plan->peak;
        out["io_bytes"] = plan->io_bytes;
        out["stored_bytes"] = plan->stored_bytes;
        out["loaded_bytes"] = plan->loaded_bytes;
        out["lower_bound"] = plan->lower_bound;
        out["lower_bound_any_order"] =
            graph::io_lower_bound_any_order(t.optimal ? t.peak : t.lower_bound, memory);
        out["schedule"] = schedule_list(g, plan->schedule);
        return std::move(out);
      },
      py::arg("graph"), py::arg("memory"), py::arg("order") = py::none(),
      py::arg("policy") = "furthest",
      "Out-of-core schedule of `order` (default: a min-peak order, exact if small) within `memory` "
      "bytes, evicting by next use ('furthest') or size ('largest'): {'order', 'order_peak', "
      "'peak', 'io_bytes', 'stored_bytes', 'loaded_bytes', 'lower_bound', "
      "'lower_bound_any_order', 'schedule': [(op, id), ...]}, or None below the smallest "
      "feasible memory.");
  m.def(
      "graph_parallel",
      [](const Graph& g, std::int64_t processors, Bytes memory,
         std::optional<std::vector<std::string>> order, const std::string& priority) -> py::object {
        if (priority != "critical-path" && priority != "activation") {
          throw py::value_error("priority must be 'critical-path' or 'activation', got '" +
                                priority + "'");
        }
        if (processors < 1) throw py::value_error("processors must be >= 1");
        if (memory < 0) throw py::value_error("memory must be >= 0");
        graph::GraphParallelOptions options;
        if (order) options.activation_order = indices(g, *order, "order");
        options.priority = priority == "activation" ? graph::GraphPriority::kActivationOrder
                                                    : graph::GraphPriority::kCriticalPath;
        std::optional<graph::GraphParallelSchedule> s;
        graph::MakespanBounds b;
        {
          py::gil_scoped_release release;
          s = graph::memory_bounded_parallel(g, processors, memory, options);
          b = graph::makespan_bounds(g, processors, memory);
        }
        if (!s) return py::none();
        py::list runs;
        for (graph::NodeIndex v : s->start_order) {
          const graph::GraphTaskRun& r = s->runs[static_cast<std::size_t>(v)];
          runs.append(py::make_tuple(g.id(v), r.start, r.start + g.time(v), r.processor));
        }
        py::dict out;
        out["makespan"] = s->makespan;
        out["peak"] = s->peak;
        out["activation_order"] = ids(g, s->activation_order);
        out["activation_peak"] = s->activation_peak;
        out["lower_bound"] = b.lower_bound;
        out["critical_path"] = b.critical_path;
        out["runs"] = runs;
        return std::move(out);
      },
      py::arg("graph"), py::arg("processors"), py::arg("memory"), py::arg("order") = py::none(),
      py::arg("priority") = "critical-path",
      "List schedule on `processors` processors that never exceeds `memory` bytes, activating "
      "nodes in `order` (default: a min-peak order): {'makespan', 'peak', 'activation_order', "
      "'activation_peak', 'lower_bound', 'critical_path', 'runs': [(id, start, end, "
      "processor), ...]}, or None if the gate cannot finish (only below activation_peak).");
}

}  // namespace memsched::python
