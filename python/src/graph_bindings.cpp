// pybind11 bindings of the graph layer: the Graph model, its JSON files, minimum-peak orders and
// rematerialization under a byte budget. Orders and schedules use node ids; every planner runs
// with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
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
      .def("to_json", &graph::graph_to_json, "The graph in the JSON file format.")
      .def("__repr__", [](const Graph& g) {
        return "Graph(" + std::to_string(g.num_nodes()) + " nodes, " +
               std::to_string(g.num_edges()) + " edges)";
      });
  m.def("parse_graph", &graph::parse_graph_json, py::arg("text"),
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
}

}  // namespace memsched::python
