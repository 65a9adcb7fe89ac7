// pybind11 bindings of the heterogeneous-chain model (neural networks under a byte budget): the
// chain, rotor's operations, the byte-exact simulator, the persistent planner, its memory-time
// curve and the exhaustive planner. memsched.torch (python/memsched/torch/) builds on them.
//
// Conventions as in bindings.cpp: PEP 8 names, keyword arguments, reprs, value types with ==;
// std::invalid_argument -> ValueError; ScheduleError (registered there) for illegal schedules.
// Planning runs with the GIL released and Ctrl-C cancels it (interruptible.hpp).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "interruptible.hpp"
#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/exhaustive.hpp"
#include "memsched/hetero/io.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/hetero/schedule.hpp"

namespace py = pybind11;

namespace memsched::python {

namespace {

std::string hetero_number(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  std::string text = out.str();
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string stage_repr(const HeteroStage& s) {
  return "HeteroStage(forward_time=" + hetero_number(s.forward_time) +
         ", backward_time=" + hetero_number(s.backward_time) +
         ", input_bytes=" + std::to_string(s.input_bytes) +
         ", tape_bytes=" + std::to_string(s.tape_bytes) +
         ", forward_tmp_bytes=" + std::to_string(s.forward_tmp_bytes) +
         ", backward_tmp_bytes=" + std::to_string(s.backward_tmp_bytes) +
         (s.recording_tmp_bytes
              ? ", recording_tmp_bytes=" + std::to_string(*s.recording_tmp_bytes) + ")"
              : std::string(")"));
}

std::string loss_repr(const HeteroLoss& l) {
  return "HeteroLoss(input_bytes=" + std::to_string(l.input_bytes) +
         ", time=" + hetero_number(l.time) +
         ", backward_tmp_bytes=" + std::to_string(l.backward_tmp_bytes) + ")";
}

// A plan as Python sees it: the C++ HeteroPlan plus what its replay reports (the peak), so that
// callers get the predicted peak without simulating again.
struct PlannedSchedule {
  HeteroPlan plan;
  HeteroReport report;
  Bytes budget_bytes = 0;
};

PersistentOptions persistent_options(std::int64_t num_units, bool exact, Bytes unit_bytes,
                                     bool rotor_compatible, int num_threads) {
  PersistentOptions options;
  options.num_units = num_units;
  options.exact = exact;
  options.unit_bytes = unit_bytes;
  options.rotor_compatible = rotor_compatible;
  options.num_threads = num_threads;
  return options;
}

HeteroSchedule ops_argument(const py::handle& object) {
  if (py::isinstance<py::str>(object) || py::isinstance<py::bytes>(object)) {
    throw py::type_error("expected an iterable of HeteroOp, got a string");
  }
  HeteroSchedule schedule;
  for (const py::handle item : py::iter(object)) schedule.push_back(item.cast<HeteroOp>());
  return schedule;
}

}  // namespace

void bind_hetero(py::module_& m) {
  m.attr("MAX_BYTES") = kMaxBytes;

  py::class_<HeteroStage>(m, "HeteroStage",
                          "One stage F_i of a heterogeneous chain: times (any unit) and sizes "
                          "in bytes (rotor's per-stage measurements).")
      .def(py::init([](double forward_time, double backward_time, Bytes input_bytes,
                       Bytes tape_bytes, Bytes forward_tmp_bytes, Bytes backward_tmp_bytes,
                       std::optional<Bytes> recording_tmp_bytes) {
             return HeteroStage{forward_time,       backward_time,     input_bytes,
                                tape_bytes,         forward_tmp_bytes, backward_tmp_bytes,
                                recording_tmp_bytes};
           }),
           py::kw_only(), py::arg("forward_time") = 0.0, py::arg("backward_time") = 0.0,
           py::arg("input_bytes") = 0, py::arg("tape_bytes") = 0, py::arg("forward_tmp_bytes") = 0,
           py::arg("backward_tmp_bytes") = 0, py::arg("recording_tmp_bytes") = py::none())
      .def_readwrite("forward_time", &HeteroStage::forward_time)
      .def_readwrite("backward_time", &HeteroStage::backward_time)
      .def_readwrite("input_bytes", &HeteroStage::input_bytes)
      .def_readwrite("tape_bytes", &HeteroStage::tape_bytes)
      .def_readwrite("forward_tmp_bytes", &HeteroStage::forward_tmp_bytes)
      .def_readwrite("backward_tmp_bytes", &HeteroStage::backward_tmp_bytes)
      .def_readwrite("recording_tmp_bytes", &HeteroStage::recording_tmp_bytes,
                     "Temporary of a recording forward (Fe) if it differs from "
                     "forward_tmp_bytes; None: forward_tmp_bytes.")
      .def("__eq__", [](const HeteroStage& a, const HeteroStage& b) { return a == b; })
      .def("__ne__", [](const HeteroStage& a, const HeteroStage& b) { return !(a == b); })
      .def("__repr__", &stage_repr);

  py::class_<HeteroLoss>(m, "HeteroLoss",
                         "The loss after the last stage: its input size (= the gradient's), "
                         "its time and its temporary memory.")
      .def(py::init([](Bytes input_bytes, double time, Bytes backward_tmp_bytes) {
             return HeteroLoss{input_bytes, time, backward_tmp_bytes};
           }),
           py::kw_only(), py::arg("input_bytes") = 0, py::arg("time") = 0.0,
           py::arg("backward_tmp_bytes") = 0)
      .def_readwrite("input_bytes", &HeteroLoss::input_bytes)
      .def_readwrite("time", &HeteroLoss::time)
      .def_readwrite("backward_tmp_bytes", &HeteroLoss::backward_tmp_bytes)
      .def("__eq__", [](const HeteroLoss& a, const HeteroLoss& b) { return a == b; })
      .def("__ne__", [](const HeteroLoss& a, const HeteroLoss& b) { return !(a == b); })
      .def("__repr__", &loss_repr);

  py::class_<HeteroChain>(m, "HeteroChain",
                          "A chain of stages and a loss, backpropagated under a budget in "
                          "bytes (docs/heterogeneous.md). ValueError on invalid values.")
      .def(py::init<std::vector<HeteroStage>, HeteroLoss>(), py::arg("stages"), py::arg("loss"))
      .def_static("from_json", &read_hetero_chain_json, py::arg("text"),
                  "Parses the JSON form (ParseError on malformed text).")
      .def_static("from_csv", &read_hetero_chain_csv, py::arg("text"),
                  "Parses the CSV form (ParseError on malformed text).")
      .def("to_json",
           [](const HeteroChain& c) {
             std::ostringstream out;
             write_hetero_chain_json(out, c);
             return out.str();
           })
      .def_property_readonly("num_stages", &HeteroChain::num_stages)
      .def_property_readonly("stages", [](const HeteroChain& c) { return c.stages(); })
      .def_property_readonly("loss", [](const HeteroChain& c) { return c.loss(); })
      .def(
          "stage",
          [](const HeteroChain& c, std::int64_t i) {
            if (i < 0 || i >= c.num_stages()) {
              throw py::index_error("HeteroChain.stage: no stage " + std::to_string(i));
            }
            return c.stage(i);
          },
          py::arg("index"))
      .def(
          "x",
          [](const HeteroChain& c, std::int64_t i) {
            if (i < 0 || i > c.num_stages()) {
              throw py::index_error("HeteroChain.x: no value x_" + std::to_string(i));
            }
            return c.x(i);
          },
          py::arg("index"), "Bytes of x_i (0 <= i <= num_stages), also the size of ybar_i.")
      .def(
          "tape",
          [](const HeteroChain& c, std::int64_t i) {
            if (i < 0 || i >= c.num_stages()) {
              throw py::index_error("HeteroChain.tape: no stage " + std::to_string(i));
            }
            return c.tape(i);
          },
          py::arg("index"), "Bytes of xbar_{i+1}, the tape of stage i.")
      .def("minimal_makespan", &HeteroChain::minimal_makespan)
      .def("store_all_peak", &HeteroChain::store_all_peak)
      .def("__len__", &HeteroChain::num_stages)
      .def("__eq__", [](const HeteroChain& a, const HeteroChain& b) { return a == b; })
      .def("__ne__", [](const HeteroChain& a, const HeteroChain& b) { return !(a == b); })
      .def("__repr__", [](const HeteroChain& c) {
        return "HeteroChain(num_stages=" + std::to_string(c.num_stages()) +
               ", store_all_peak=" + std::to_string(c.store_all_peak()) +
               ", minimal_makespan=" + hetero_number(c.minimal_makespan()) + ")";
      });

  py::enum_<HeteroOpKind>(m, "HeteroOpKind")
      .value("FORWARD_CHECK", HeteroOpKind::kForwardCheck)
      .value("FORWARD_NOGRAD", HeteroOpKind::kForwardNograd)
      .value("FORWARD_ENABLE", HeteroOpKind::kForwardEnable)
      .value("LOSS", HeteroOpKind::kLoss)
      .value("BACKWARD", HeteroOpKind::kBackward)
      .value("FREE", HeteroOpKind::kFree);

  py::class_<HeteroOp>(m, "HeteroOp",
                       "One operation of a heterogeneous schedule (rotor's CF_i, Fn_i, Fe_i, L, "
                       "B_i; Del_x_i / Del_xbar_i). str() is rotor's notation.")
      .def_static("forward_check", &HeteroOp::forward_check, py::arg("stage"))
      .def_static("forward_nograd", &HeteroOp::forward_nograd, py::arg("stage"))
      .def_static("forward_enable", &HeteroOp::forward_enable, py::arg("stage"))
      .def_static("loss", &HeteroOp::loss, py::arg("num_stages"))
      .def_static("backward", &HeteroOp::backward, py::arg("stage"))
      .def_static("free_input", &HeteroOp::free_input, py::arg("stage"))
      .def_static("free_tape", &HeteroOp::free_tape, py::arg("stage"))
      .def_readonly("kind", &HeteroOp::kind)
      .def_readonly("stage", &HeteroOp::stage)
      .def_readonly("tape", &HeteroOp::tape)
      .def("__eq__", [](const HeteroOp& a, const HeteroOp& b) { return a == b; })
      .def("__ne__", [](const HeteroOp& a, const HeteroOp& b) { return a != b; })
      .def("__hash__",
           [](const HeteroOp& op) {
             return py::hash(py::make_tuple(static_cast<int>(op.kind), op.stage, op.tape));
           })
      .def("__str__", [](const HeteroOp& op) { return to_string(op); })
      .def("__repr__", [](const HeteroOp& op) { return "HeteroOp(" + to_string(op) + ")"; });

  m.def(
      "hetero_schedule_text", [](const py::object& ops) { return to_string(ops_argument(ops)); },
      py::arg("schedule"), "The operations in rotor's notation separated by spaces.");

  py::class_<HeteroReport>(m, "HeteroReport", "What a legal heterogeneous schedule costs.")
      .def_readonly("makespan", &HeteroReport::makespan)
      .def_readonly("peak_bytes", &HeteroReport::peak_bytes)
      .def_readonly("forwards", &HeteroReport::forwards)
      .def_readonly("recording_forwards", &HeteroReport::recording_forwards)
      .def_readonly("num_ops", &HeteroReport::num_ops)
      .def("__repr__", [](const HeteroReport& r) {
        return "HeteroReport(makespan=" + hetero_number(r.makespan) +
               ", peak_bytes=" + std::to_string(r.peak_bytes) +
               ", forwards=" + std::to_string(r.forwards) +
               ", recording_forwards=" + std::to_string(r.recording_forwards) +
               ", num_ops=" + std::to_string(r.num_ops) + ")";
      });

  py::class_<HeteroTimelineEntry>(m, "HeteroTimelineEntry")
      .def_readonly("start", &HeteroTimelineEntry::start)
      .def_readonly("end", &HeteroTimelineEntry::end)
      .def_readonly("peak_bytes", &HeteroTimelineEntry::peak_bytes)
      .def_readonly("after_bytes", &HeteroTimelineEntry::after_bytes)
      .def("__repr__", [](const HeteroTimelineEntry& e) {
        return "HeteroTimelineEntry(start=" + hetero_number(e.start) +
               ", end=" + hetero_number(e.end) + ", peak_bytes=" + std::to_string(e.peak_bytes) +
               ", after_bytes=" + std::to_string(e.after_bytes) + ")";
      });

  m.def(
      "simulate_hetero",
      [](const py::object& schedule, const HeteroChain& chain, Bytes budget_bytes,
         bool pin_inputs) {
        const HeteroSchedule ops = ops_argument(schedule);
        HeteroRules rules;
        rules.pin_inputs = pin_inputs;
        py::gil_scoped_release release;
        return simulate(ops, chain, budget_bytes, rules);
      },
      py::arg("schedule"), py::arg("chain"), py::arg("budget_bytes"), py::kw_only(),
      py::arg("pin_inputs") = true,
      "Replays heterogeneous operations in exact bytes and returns a HeteroReport; raises "
      "ScheduleError (action_index, reason) at the first illegal operation.");
  m.def(
      "hetero_timeline",
      [](const py::object& schedule, const HeteroChain& chain, Bytes budget_bytes,
         bool pin_inputs) {
        const HeteroSchedule ops = ops_argument(schedule);
        HeteroRules rules;
        rules.pin_inputs = pin_inputs;
        std::vector<HeteroTimelineEntry> timeline;
        py::gil_scoped_release release;
        simulate(ops, chain, budget_bytes, rules, &timeline);
        return timeline;
      },
      py::arg("schedule"), py::arg("chain"), py::arg("budget_bytes"), py::kw_only(),
      py::arg("pin_inputs") = true,
      "Like simulate_hetero, but returns one HeteroTimelineEntry per operation (for plots).");

  py::class_<PlannedSchedule>(m, "HeteroPlan",
                              "A persistent schedule, its makespan and its peak in bytes "
                              "(replayed by the simulator), and the memory unit used.")
      .def_property_readonly("schedule", [](const PlannedSchedule& p) { return p.plan.schedule; })
      .def_property_readonly("makespan", [](const PlannedSchedule& p) { return p.plan.makespan; })
      .def_property_readonly("peak_bytes",
                             [](const PlannedSchedule& p) { return p.report.peak_bytes; })
      .def_property_readonly("budget_bytes",
                             [](const PlannedSchedule& p) { return p.budget_bytes; })
      .def_property_readonly("unit_bytes",
                             [](const PlannedSchedule& p) { return p.plan.unit_bytes; })
      .def_property_readonly("num_units", [](const PlannedSchedule& p) { return p.plan.num_units; })
      .def_property_readonly("forwards", [](const PlannedSchedule& p) { return p.report.forwards; })
      .def_property_readonly("recording_forwards",
                             [](const PlannedSchedule& p) { return p.report.recording_forwards; })
      .def("__len__", [](const PlannedSchedule& p) { return p.plan.schedule.size(); })
      .def("__str__", [](const PlannedSchedule& p) { return to_string(p.plan.schedule); })
      .def("__repr__", [](const PlannedSchedule& p) {
        return "HeteroPlan(makespan=" + hetero_number(p.plan.makespan) +
               ", peak_bytes=" + std::to_string(p.report.peak_bytes) +
               ", budget_bytes=" + std::to_string(p.budget_bytes) +
               ", ops=" + std::to_string(p.plan.schedule.size()) + ")";
      });

  m.def(
      "plan_persistent",
      [](const HeteroChain& chain, Bytes budget_bytes, std::int64_t num_units, bool exact,
         Bytes unit_bytes, bool rotor_compatible,
         int num_threads) -> std::optional<PlannedSchedule> {
        const PersistentOptions options =
            persistent_options(num_units, exact, unit_bytes, rotor_compatible, num_threads);
        Interruptible release;
        std::optional<HeteroPlan> plan = plan_persistent(chain, budget_bytes, options);
        if (!plan) return std::nullopt;
        PlannedSchedule planned;
        planned.report = simulate(plan->schedule, chain, budget_bytes);
        planned.plan = std::move(*plan);
        planned.budget_bytes = budget_bytes;
        return planned;
      },
      py::arg("chain"), py::arg("budget_bytes"), py::kw_only(), py::arg("num_units") = 500,
      py::arg("exact") = false, py::arg("unit_bytes") = 0, py::arg("rotor_compatible") = false,
      py::arg("num_threads") = 1,
      "The fastest persistent schedule (rotor's dynamic program) whose peak in exact bytes is at "
      "most budget_bytes, as a HeteroPlan, or None if none fits once sizes are rounded up to "
      "budget/num_units units. exact=True: byte-exact (unit = gcd of the sizes). ValueError on "
      "a negative budget, num_units < 1 or a table above 8 GiB.");
  m.def(
      "memory_time_curve",
      [](const HeteroChain& chain, std::int64_t num_units, bool exact, Bytes unit_bytes,
         bool rotor_compatible, int num_threads) {
        const PersistentOptions options =
            persistent_options(num_units, exact, unit_bytes, rotor_compatible, num_threads);
        Interruptible release;
        return memory_time_curve(chain, options);
      },
      py::arg("chain"), py::kw_only(), py::arg("num_units") = 500, py::arg("exact") = false,
      py::arg("unit_bytes") = 0, py::arg("rotor_compatible") = false, py::arg("num_threads") = 1,
      "The optimal persistent makespan for every budget from the smallest feasible one to "
      "store_all_peak(), as CurvePoint(budget_bytes, makespan) where it drops.");
  py::class_<CurvePoint>(m, "CurvePoint")
      .def(py::init([](Bytes budget_bytes, double makespan) {
             return CurvePoint{budget_bytes, makespan};
           }),
           py::arg("budget_bytes"), py::arg("makespan"))
      .def_readonly("budget_bytes", &CurvePoint::budget_bytes)
      .def_readonly("makespan", &CurvePoint::makespan)
      .def("__eq__", [](const CurvePoint& a, const CurvePoint& b) { return a == b; })
      .def("__repr__", [](const CurvePoint& p) {
        return "CurvePoint(budget_bytes=" + std::to_string(p.budget_bytes) +
               ", makespan=" + hetero_number(p.makespan) + ")";
      });

  m.def(
      "plan_exhaustive",
      [](const HeteroChain& chain, Bytes budget_bytes, bool persistent_only, bool pin_inputs,
         std::int64_t max_states) {
        HeteroExhaustiveOptions options;
        options.persistent_only = persistent_only;
        options.rules.pin_inputs = pin_inputs;
        options.max_states = max_states;
        std::optional<HeteroPlan> plan;
        {
          Interruptible release;
          plan = plan_exhaustive(chain, budget_bytes, options);
        }
        if (!plan) return std::optional<PlannedSchedule>();
        PlannedSchedule planned;
        planned.report = simulate(plan->schedule, chain, budget_bytes, options.rules);
        planned.plan = std::move(*plan);
        planned.budget_bytes = budget_bytes;
        return std::optional<PlannedSchedule>(std::move(planned));
      },
      py::arg("chain"), py::arg("budget_bytes"), py::kw_only(), py::arg("persistent_only") = false,
      py::arg("pin_inputs") = true, py::arg("max_states") = 4'000'000,
      "The optimal schedule over all schedules of the model (Dijkstra; exponential, at most 12 "
      "stages) as a HeteroPlan (exact bytes), or None. ValueError above 12 stages.");
}

}  // namespace memsched::python
