// pybind11 bindings of the call-tree part: the model read from JSON, the time and peak of an
// assignment, the exact Pareto front, planning under a budget and the per-site profile.
// Assignments are lists of call ids; results are dicts with the CLI's JSON keys.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "memsched/memsched.hpp"

namespace py = pybind11;

namespace memsched::python {

namespace {

// Snapshot counts chosen for loops with a range, by loop id.
py::dict snapshots_of(const CallTree& tree, const std::vector<LoopChoice>& choices) {
  py::dict out;
  for (const LoopChoice& c : choices) out[py::str(tree.call(c.call).name)] = c.snapshots;
  return out;
}

std::vector<std::string> names_of(const CallTree& tree, const std::vector<CallIndex>& joint) {
  std::vector<std::string> out;
  for (CallIndex v : joint) out.push_back(tree.call(v).name);
  return out;
}

JointSet joint_of(const CallTree& tree, const std::vector<std::string>& joint) {
  std::vector<CallIndex> calls;
  for (const std::string& name : joint) {
    const auto v = tree.find(name);
    if (!v) throw py::value_error("joint: no call named '" + name.substr(0, 60) + "'");
    calls.push_back(*v);
  }
  return joint_set(tree, calls);
}

CallTreePlanOptions options_of(std::int64_t max_work, std::int64_t grid_cells) {
  CallTreePlanOptions options;
  options.max_work = max_work;
  options.grid_cells = grid_cells;
  return options;
}

}  // namespace

void bind_calltree(py::module_& m) {
  py::class_<CallTree>(m, "CallTree",
                       "A dynamic call tree of an adjoint: per call its times, tape and "
                       "snapshot bytes (docs/calltree.md). Build it with parse_calltree.")
      .def_property_readonly("num_calls", &CallTree::num_calls)
      .def_property_readonly("base_time", &CallTree::base_time,
                             "Run time of every call split (store-all; loops under Revolve).")
      .def_property_readonly("total_tape", &CallTree::total_tape,
                             "Peak of every call split: without loops the sum of every call's "
                             "own tape (store-all).")
      .def_property_readonly(
          "loops",
          [](const CallTree& tree) {
            py::dict out;
            for (CallIndex v = 0; v < tree.num_calls(); ++v) {
              if (!tree.is_loop(v)) continue;
              out[py::str(tree.call(v).name)] =
                  py::dict(py::arg("iterations") = tree.call(v).loop->iterations,
                           py::arg("snapshots") = tree.call(v).loop->snapshots,
                           py::arg("advances") = tree.loop_advances(v),
                           py::arg("live_snapshots") = tree.loop_live_snapshots(v),
                           py::arg("occurrences") = tree.occurrences(v));
            }
            return out;
          },
          "Loop nodes by id: iterations N, Revolve snapshots S, the plain iterations Revolve "
          "adds per reversal t(N, S), the most snapshots held min(S, N - 1), and how many "
          "times the loop runs (product of the iterations of the loops around it).")
      .def_property_readonly(
          "names",
          [](const CallTree& tree) {
            std::vector<std::string> out;
            for (CallIndex v = 0; v < tree.num_calls(); ++v) out.push_back(tree.call(v).name);
            return out;
          },
          "Call ids in pre-order (the root first).")
      .def("to_json",
           [](const CallTree& tree) {
             std::ostringstream out;
             write_calltree_json(out, tree);
             return out.str();
           })
      .def("__len__", &CallTree::num_calls);

  m.def(
      "parse_calltree", [](const std::string& text) { return read_calltree_json(text); },
      py::arg("text"), "Parses the nested JSON call-tree format; raises ValueError if bad.");

  m.def(
      "calltree_evaluate",
      [](const CallTree& tree, const std::vector<std::string>& joint) {
        const CallTreeCost cost = evaluate_calltree(tree, joint_of(tree, joint));
        return py::dict(py::arg("time") = cost.time, py::arg("peak") = cost.peak);
      },
      py::arg("tree"), py::arg("joint"),
      "Exact time and peak stack bytes with the calls named in `joint` joint, the rest split.");

  m.def(
      "calltree_front",
      [](const CallTree& tree, std::int64_t max_work) {
        std::vector<CallTreePoint> front;
        {
          py::gil_scoped_release release;
          front = calltree_front(tree, options_of(max_work, 64));
        }
        py::list out;
        for (const CallTreePoint& p : front) {
          py::dict point(py::arg("time") = p.time, py::arg("peak") = p.peak,
                         py::arg("joint") = names_of(tree, p.joint));
          if (!p.snapshots.empty()) point["snapshots"] = snapshots_of(tree, p.snapshots);
          out.append(point);
        }
        return out;
      },
      py::arg("tree"), py::kw_only(), py::arg("max_work") = 20'000'000,
      "The exact Pareto front of (time, peak) by increasing time: dicts with time, peak, "
      "joint (and snapshots: the count chosen per loop whose count is a range). Raises ValueError "
      "when the work would pass max_work.");

  m.def(
      "calltree_plan",
      [](const CallTree& tree, Bytes budget, std::int64_t max_work, std::int64_t grid_cells) {
        CallTreePlan plan;
        {
          py::gil_scoped_release release;
          plan = plan_calltree(tree, budget, options_of(max_work, grid_cells));
        }
        py::dict out(py::arg("feasible") = plan.feasible, py::arg("optimal") = plan.optimal,
                     py::arg("method") = plan.method);
        if (plan.feasible) {
          out["time"] = plan.best.time;
          out["peak"] = plan.best.peak;
          out["joint"] = names_of(tree, plan.best.joint);
          if (!plan.best.snapshots.empty()) {
            out["snapshots"] = snapshots_of(tree, plan.best.snapshots);
          }
          out["time_lower_bound"] = plan.time_lower_bound;
        } else {
          out["min_peak"] = plan.min_peak;
          out["min_peak_exact"] = plan.min_peak_exact;
          out["min_peak_upper"] = plan.min_peak_upper;
        }
        return out;
      },
      py::arg("tree"), py::arg("budget"), py::kw_only(), py::arg("max_work") = 20'000'000,
      py::arg("grid_cells") = 64,
      "The fastest assignment with peak <= budget bytes: exact, or the grid heuristic with a "
      "proven lower bound when the exact programme would pass max_work.");

  m.def(
      "calltree_profile",
      [](const CallTree& tree, std::optional<Bytes> budget) {
        const JointSet base = all_joint(tree);
        const SiteProfile profile = profile_sites(tree, base);
        const SiteRecommendation advice =
            recommend_splits(tree, base, budget.value_or(profile.peak));
        py::list rows;
        for (const SiteProfileRow& r : profile.rows) {
          rows.append(py::dict(py::arg("site") = r.site, py::arg("calls") = r.calls,
                               py::arg("joint_calls") = r.joint_calls,
                               py::arg("time_saved") = r.time_saved,
                               py::arg("peak_change") = r.peak_change,
                               py::arg("snapshot_bytes") = r.snapshot_bytes));
        }
        return py::dict(py::arg("time") = profile.time, py::arg("peak") = profile.peak,
                        py::arg("sites") = rows, py::arg("split_sites") = advice.split_sites,
                        py::arg("recommended_time") = advice.time,
                        py::arg("recommended_peak") = advice.peak);
      },
      py::arg("tree"), py::arg("budget") = py::none(),
      "Per-site table of the all-joint assignment (time saved and peak change if the site's "
      "calls were split) and the split advice under `budget` (default: the all-joint peak).");
}

}  // namespace memsched::python
