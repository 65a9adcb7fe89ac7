// pybind11 bindings of the chain model, the planners, the simulator and the formats: the
// compiled half of the `memsched` Python package (python/memsched/__init__.py is the other).
//
// Conventions: PEP 8 names and keyword arguments; every value type has == and a repr; action
// streams are Python iterators that stay lazy; std::invalid_argument -> ValueError,
// std::out_of_range -> IndexError (pybind11's defaults), ParseError and ScheduleError ->
// subclasses of ValueError carrying their position. Long pure-C++ work (planning with a DP,
// simulating a C++ stream, writing formats) runs with the GIL released; Ctrl-C cancels the
// planner tables (interruptible.hpp).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "checked_int.hpp"
#include "interruptible.hpp"
#include "memsched/memsched.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/multistage.hpp"
#include "memsched/plan/two_level.hpp"

namespace py = pybind11;

namespace memsched::python {

void bind_exec(py::module_& m);    // exec_bindings.cpp
void bind_tree(py::module_& m);    // tree_bindings.cpp
void bind_hetero(py::module_& m);  // hetero_bindings.cpp
void bind_graph(py::module_& m);   // graph_bindings.cpp

void bind_pipeline(py::module_& m);  // pipeline_bindings.cpp

void bind_calltree(py::module_& m);  // calltree_bindings.cpp

namespace {

// ---- helpers ---------------------------------------------------------------------------

std::string number(double value) {
  std::ostringstream out;
  out << value;
  std::string text = out.str();
  if (text.find_first_of(".eE") == std::string::npos && text != "inf" && text != "nan") {
    text += ".0";
  }
  return text;
}

std::string slots_text(std::int64_t slots) {
  return slots == kUnlimitedSlots ? std::string("None") : std::to_string(slots);
}

std::string level_repr(const StorageLevel& level) {
  return "StorageLevel(name='" + level.name + "', num_slots=" + slots_text(level.num_slots) +
         ", write_cost=" + number(level.write_cost) + ", read_cost=" + number(level.read_cost) +
         ")";
}

// A C++ stream owned by Python. Iterating it consumes it: the same object cannot be replayed,
// exactly like a Python generator.
std::optional<Action> stream_next(ActionStream& stream) { return stream.next(); }

// Anything Python may pass as a schedule: an ActionStream (consumed lazily, in C++) or an
// iterable of Action (collected first).
struct ScheduleArgument {
  ActionStream* stream = nullptr;
  Schedule actions;
  std::unique_ptr<ScheduleStream> owned;

  ActionStream& get() {
    if (stream != nullptr) return *stream;
    if (!owned) owned = std::make_unique<ScheduleStream>(actions);
    return *owned;
  }
};

ScheduleArgument schedule_argument(const py::handle& object) {
  ScheduleArgument argument;
  if (py::isinstance<ActionStream>(object)) {
    argument.stream = &object.cast<ActionStream&>();
    return argument;
  }
  if (py::isinstance<py::str>(object) || py::isinstance<py::bytes>(object)) {
    throw py::type_error("expected an ActionStream or an iterable of Action, got a string");
  }
  for (const py::handle item : py::iter(object)) {
    argument.actions.push_back(item.cast<Action>());
  }
  return argument;
}

PlanOptions plan_options(std::optional<Step> period, std::optional<std::int64_t> sweeps) {
  PlanOptions options;
  options.period = period;
  options.sweeps = sweeps;
  return options;
}

ScheduleFormat format_from_name(const std::string& name) {
  if (name == "json") return ScheduleFormat::kJson;
  if (name == "checkpoint_schedules" || name == "checkpoint-schedules") {
    return ScheduleFormat::kCheckpointSchedules;
  }
  if (name == "revolve") return ScheduleFormat::kRevolve;
  throw std::invalid_argument("write_schedule: unknown format '" + name +
                              "' (known: json, checkpoint_schedules, revolve)");
}

const char* format_name(ScheduleFormat format) {
  switch (format) {
    case ScheduleFormat::kJson:
      return "json";
    case ScheduleFormat::kCheckpointSchedules:
      return "checkpoint_schedules";
    case ScheduleFormat::kRevolve:
      return "revolve";
  }
  return "json";
}

std::string report_repr(const SimulationReport& r) {
  return "SimulationReport(num_actions=" + std::to_string(r.num_actions) +
         ", forward_steps=" + std::to_string(r.forward_steps) +
         ", adjoint_steps=" + std::to_string(r.adjoint_steps) + ", cost=" + number(r.cost) +
         ", levels=" + std::to_string(r.levels.size()) + ")";
}

// ---- exceptions ------------------------------------------------------------------------

// The exception types live as long as the process: plain handles (no destructor), so nothing
// is released after the interpreter has finalised.
py::handle parse_error_type;
py::handle schedule_error_type;

void register_exceptions(py::module_& m) {
  parse_error_type = py::exception<ParseError>(m, "ParseError", PyExc_ValueError).release();
  schedule_error_type =
      py::exception<ScheduleError>(m, "ScheduleError", PyExc_ValueError).release();
  py::setattr(parse_error_type, "__doc__",
              py::str("Malformed schedule text; `line` and `column` (from 1; column 0 = the "
                      "whole line) locate the fault."));
  py::setattr(schedule_error_type, "__doc__",
              py::str("An illegal schedule; `action_index` (from 0) names the first "
                      "offending action and `reason` says why."));
  py::register_exception_translator([](std::exception_ptr pointer) {
    if (!pointer) return;
    try {
      std::rethrow_exception(pointer);
    } catch (const ScheduleError& e) {
      py::object instance = schedule_error_type(py::str(e.what()));
      instance.attr("action_index") = e.action_index();
      instance.attr("reason") = e.reason();
      PyErr_SetObject(schedule_error_type.ptr(), instance.ptr());
    } catch (const ParseError& e) {
      py::object instance = parse_error_type(py::str(e.what()));
      instance.attr("line") = e.line();
      instance.attr("column") = e.column();
      PyErr_SetObject(parse_error_type.ptr(), instance.ptr());
    } catch (const std::bad_alloc&) {
      // A last resort (requests are estimated and refused up front): a clear MemoryError
      // instead of pybind11's "std::bad_alloc".
      PyErr_SetString(PyExc_MemoryError,
                      "out of memory: the request needs more memory than this process may use");
    }
  });
}

// ---- chain model -----------------------------------------------------------------------

void bind_model(py::module_& m) {
  m.attr("WORK") = kWork;
  m.attr("UNLIMITED_SLOTS") = kUnlimitedSlots;
  m.attr("MAX_STEPS") = kMaxSteps;

  py::class_<Chain>(m, "Chain",
                    "A chain of num_steps steps x_{i+1} = F_i(x_i), with uniform or per-step "
                    "forward and adjoint costs.")
      .def(py::init<Step, double, double>(), py::arg("num_steps"), py::arg("forward_cost") = 1.0,
           py::arg("adjoint_cost") = 1.0)
      .def(py::init<std::vector<double>, std::vector<double>>(), py::arg("forward_costs"),
           py::arg("adjoint_costs"))
      .def_property_readonly("num_steps", &Chain::num_steps)
      .def_property_readonly("is_uniform", &Chain::is_uniform)
      .def("forward_cost", py::overload_cast<Step>(&Chain::forward_cost, py::const_),
           py::arg("step"))
      .def("forward_cost", py::overload_cast<Step, Step>(&Chain::forward_cost, py::const_),
           py::arg("begin"), py::arg("end"))
      .def("adjoint_cost", py::overload_cast<Step>(&Chain::adjoint_cost, py::const_),
           py::arg("step"))
      .def("adjoint_cost", py::overload_cast<Step, Step>(&Chain::adjoint_cost, py::const_),
           py::arg("begin"), py::arg("end"))
      .def("__len__", [](const Chain& c) { return c.num_steps(); })
      .def("__eq__", [](const Chain& a, const Chain& b) { return a == b; })
      .def("__ne__", [](const Chain& a, const Chain& b) { return !(a == b); })
      .def("__repr__", [](const Chain& c) {
        if (c.is_uniform()) {
          return "Chain(num_steps=" + std::to_string(c.num_steps()) +
                 ", forward_cost=" + number(c.forward_cost(0)) +
                 ", adjoint_cost=" + number(c.adjoint_cost(0)) + ")";
        }
        return "Chain(num_steps=" + std::to_string(c.num_steps()) + ", per-step costs)";
      });

  py::class_<StorageLevel>(m, "StorageLevel",
                           "One storage level: num_slots checkpoints at most (None: no limit), "
                           "write_cost per store, read_cost per load.")
      .def(py::init([](std::string name, std::optional<std::int64_t> num_slots, double write_cost,
                       double read_cost) {
             return StorageLevel{std::move(name), num_slots.value_or(kUnlimitedSlots), write_cost,
                                 read_cost};
           }),
           py::arg("name"), py::arg("num_slots"), py::arg("write_cost") = 0.0,
           py::arg("read_cost") = 0.0)
      .def_readwrite("name", &StorageLevel::name)
      .def_property(
          "num_slots",
          [](const StorageLevel& l) -> std::optional<std::int64_t> {
            if (l.num_slots == kUnlimitedSlots) return std::nullopt;
            return l.num_slots;
          },
          [](StorageLevel& l, std::optional<std::int64_t> slots) {
            l.num_slots = slots.value_or(kUnlimitedSlots);
          })
      .def_readwrite("write_cost", &StorageLevel::write_cost)
      .def_readwrite("read_cost", &StorageLevel::read_cost)
      .def("__eq__", [](const StorageLevel& a, const StorageLevel& b) { return a == b; })
      .def("__ne__", [](const StorageLevel& a, const StorageLevel& b) { return !(a == b); })
      .def("__repr__", &level_repr);

  py::class_<Platform>(m, "Platform",
                       "Ordered storage levels (fastest first) and a working buffer holding the "
                       "current state and up to work_tapes step tapes.")
      .def(py::init<std::vector<StorageLevel>, std::int64_t>(), py::arg("levels"),
           py::arg("work_tapes") = 1)
      .def_static("ram", &Platform::ram, py::arg("num_slots"))
      .def_static(
          "ram_disk",
          [](std::int64_t ram_slots, std::optional<std::int64_t> disk_slots, double write_cost,
             double read_cost) {
            return Platform::ram_disk(ram_slots, disk_slots.value_or(kUnlimitedSlots), write_cost,
                                      read_cost);
          },
          py::arg("ram_slots"), py::arg("disk_slots"), py::arg("write_cost") = 0.0,
          py::arg("read_cost") = 0.0)
      .def_property_readonly("levels", [](const Platform& p) { return p.levels(); })
      .def_property_readonly("num_levels", &Platform::num_levels)
      .def_property_readonly("work_tapes", &Platform::work_tapes)
      .def_property_readonly("total_slots", &Platform::total_slots)
      .def(
          "level",
          [](const Platform& p, std::size_t index) {
            if (index >= p.num_levels()) {
              throw py::index_error("Platform.level: no level " + std::to_string(index) + " (" +
                                    std::to_string(p.num_levels()) + " levels)");
            }
            return p.level(index);
          },
          py::arg("index"))
      .def("__len__", &Platform::num_levels)
      .def("__getitem__",
           [](const Platform& p, std::int64_t index) {
             const auto size = static_cast<std::int64_t>(p.num_levels());
             if (index < 0) index += size;
             if (index < 0 || index >= size) throw py::index_error("Platform level out of range");
             return p.level(static_cast<std::size_t>(index));
           })
      .def("__eq__", [](const Platform& a, const Platform& b) { return a == b; })
      .def("__ne__", [](const Platform& a, const Platform& b) { return !(a == b); })
      .def("__repr__", [](const Platform& p) {
        std::string text = "Platform([";
        for (std::size_t i = 0; i < p.num_levels(); ++i) {
          text += (i ? ", " : "") + level_repr(p.level(i));
        }
        return text + "], work_tapes=" + std::to_string(p.work_tapes()) + ")";
      });
}

// ---- actions and streams ---------------------------------------------------------------

void bind_actions(py::module_& m) {
  py::enum_<ActionKind>(m, "ActionKind")
      .value("FORWARD", ActionKind::kForward)
      .value("REVERSE", ActionKind::kReverse)
      .value("COPY", ActionKind::kCopy)
      .value("MOVE", ActionKind::kMove)
      .value("FREE", ActionKind::kFree)
      .value("END_FORWARD", ActionKind::kEndForward)
      .value("END_REVERSE", ActionKind::kEndReverse);
  py::enum_<Content>(m, "Content").value("STATE", Content::kState).value("TAPE", Content::kTape);

  py::class_<Action>(m, "Action",
                     "One action of a chain schedule: a value type (==, hash). Build with the "
                     "static factories forward(), reverse(), copy(), move(), free(), "
                     "end_forward(), end_reverse().")
      .def_static("forward", &Action::forward, py::arg("begin"), py::arg("end"),
                  py::arg("record") = false)
      .def_static("reverse", &Action::reverse, py::arg("end"), py::arg("begin"),
                  py::arg("clear") = true)
      .def_static("copy", &Action::copy, py::arg("step"), py::arg("content"), py::arg("from_"),
                  py::arg("to"))
      .def_static("move", &Action::move, py::arg("step"), py::arg("content"), py::arg("from_"),
                  py::arg("to"))
      .def_static("free", &Action::free, py::arg("step"), py::arg("content"), py::arg("at"))
      .def_static("end_forward", &Action::end_forward)
      .def_static("end_reverse", &Action::end_reverse)
      .def_readonly("kind", &Action::kind)
      .def_readonly("content", &Action::content)
      .def_readonly("begin", &Action::begin)
      .def_readonly("end", &Action::end)
      .def_readonly("step", &Action::step)
      .def_readonly("from_", &Action::from)
      .def_readonly("to", &Action::to)
      .def_property_readonly("record", &Action::record)
      .def_property_readonly("clear", &Action::clear)
      .def(
          "to_str", [](const Action& a, const Platform& p) { return to_string(a, p); },
          py::arg("platform"), "The text form with the platform's level names.")
      .def("__eq__", [](const Action& a, const Action& b) { return a == b; })
      .def("__ne__", [](const Action& a, const Action& b) { return a != b; })
      .def("__hash__",
           [](const Action& a) {
             return py::hash(py::make_tuple(static_cast<int>(a.kind), static_cast<int>(a.content),
                                            a.flag, a.from, a.to, a.begin, a.end, a.step));
           })
      .def(py::pickle(
          [](const Action& a) {
            return py::make_tuple(static_cast<int>(a.kind), static_cast<int>(a.content), a.flag,
                                  a.from, a.to, a.begin, a.end, a.step);
          },
          [](const py::tuple& t) {
            if (t.size() != 8) throw std::invalid_argument("Action: bad pickled state");
            const int kind = t[0].cast<int>();
            const int content = t[1].cast<int>();
            if (kind < 0 || kind > static_cast<int>(ActionKind::kEndReverse) || content < 0 ||
                content > static_cast<int>(Content::kTape)) {
              throw std::invalid_argument("Action: bad pickled state");
            }
            Action a;
            a.kind = static_cast<ActionKind>(kind);
            a.content = static_cast<Content>(content);
            a.flag = t[2].cast<bool>();
            a.from = t[3].cast<Place>();
            a.to = t[4].cast<Place>();
            a.begin = t[5].cast<Step>();
            a.end = t[6].cast<Step>();
            a.step = t[7].cast<Step>();
            return a;
          }))
      .def("__copy__", [](const Action& a) { return a; })
      .def(
          "__deepcopy__", [](const Action& a, const py::dict&) { return a; }, py::arg("memo"))
      .def("__repr__", [](const Action& a) { return to_string(a); });

  py::class_<ActionStream>(m, "ActionStream",
                           "A lazy schedule: an iterator of Action. Iterating consumes it.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](ActionStream& s) {
        std::optional<Action> action = stream_next(s);
        if (!action) throw py::stop_iteration();
        return *action;
      });
  py::class_<RevolveStream, ActionStream>(m, "RevolveStream",
                                          "Revolve (Griewank & Walther 2000) as a lazy stream: "
                                          "O(slots) memory, n = 10**9 is fine.")
      .def(py::init<Step, std::int64_t, Place>(), py::arg("num_steps"), py::arg("slots"),
           py::arg("level") = 0);
  py::class_<PeriodicStream, ActionStream>(m, "PeriodicStream");
  py::class_<HRevolveStream, ActionStream>(m, "HRevolveStream");
  py::class_<DiskRevolveStream, ActionStream>(m, "DiskRevolveStream");
  py::class_<MultistageStream, ActionStream>(m, "MultistageStream");
  py::class_<TwoLevelStream, ActionStream>(m, "TwoLevelStream")
      .def(py::init<Step, Step, std::int64_t>(), py::arg("num_steps"), py::arg("period"),
           py::arg("ram_slots"));

  m.def(
      "collect",
      [](ActionStream& stream, std::int64_t max_actions) {
        Interruptible release;
        return collect(stream, max_actions);
      },
      py::arg("stream"), py::arg("max_actions") = std::int64_t{1} << 26,
      "Drains a stream into a list of Action (ValueError beyond max_actions).");
}

// ---- checkpoint_schedules actions ----------------------------------------------------

// A stream translated, lazily, into checkpoint_schedules actions as plain tuples for
// memsched.checkpoint_schedules (which turns them into action objects), by
// CheckpointSchedulesTranslator (formats.hpp): the one translation, shared with
// write_checkpoint_schedules(). Tuples: (kForward, n0, n1, write_ics, write_adj_deps, place),
// (kReverse, n1, n0, clear), (kCopy|kMove, n, from, to, is_tape), (kEndForward,),
// (kEndReverse,); places are level indices, kWork (-1) or kNone (-2, a deletion).
class CheckpointSchedulesActions {
 public:
  // `schedule`: an ActionStream (translated lazily) or an iterable of Action (collected).
  explicit CheckpointSchedulesActions(const py::object& schedule)
      : argument_(schedule_argument(schedule)), translator_(argument_.get()) {}
  CheckpointSchedulesActions(const CheckpointSchedulesActions&) = delete;
  CheckpointSchedulesActions& operator=(const CheckpointSchedulesActions&) = delete;

  py::tuple next() {
    using Kind = CheckpointSchedulesAction::Kind;
    const std::optional<CheckpointSchedulesAction> a = translator_.next();
    if (!a) throw py::stop_iteration();
    switch (a->kind) {
      case Kind::kForward:
        return py::make_tuple(0, a->n0, a->n1, a->write_ics, a->write_adj_deps, a->storage);
      case Kind::kReverse:
        return py::make_tuple(1, a->n1, a->n0, a->clear_adj_deps);
      case Kind::kCopy:
        return py::make_tuple(2, a->n0, a->from, a->to, a->tape);
      case Kind::kMove:
        return py::make_tuple(3, a->n0, a->from, a->to, a->tape);
      case Kind::kEndForward:
        return py::make_tuple(4);
      case Kind::kEndReverse:
        return py::make_tuple(5);
    }
    throw std::logic_error("CheckpointSchedulesActions: unknown action kind");
  }

 private:
  ScheduleArgument argument_;
  CheckpointSchedulesTranslator translator_;
};

void bind_checkpoint_schedules(py::module_& m) {
  py::class_<CheckpointSchedulesActions>(
      m, "CheckpointSchedulesActions",
      "A stream translated lazily into checkpoint_schedules actions as tuples (see "
      "memsched.checkpoint_schedules).")
      .def(py::init<const py::object&>(), py::arg("schedule"), py::keep_alive<1, 2>())
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &CheckpointSchedulesActions::next);
}

// ---- timelines -------------------------------------------------------------------------

struct Timeline {
  py::ssize_t size = 0;
  py::array_t<std::int64_t> action_index;
  py::array_t<double> time;
  py::array_t<std::int64_t> working_step;
  py::array_t<std::int64_t> front;
  py::array_t<std::int64_t> occupancy;
  SimulationReport report;
};

Timeline make_timeline(const std::vector<TimelinePoint>& points, std::size_t num_levels,
                       SimulationReport report) {
  Timeline t;
  t.size = static_cast<py::ssize_t>(points.size());
  const auto levels = static_cast<py::ssize_t>(num_levels);
  t.action_index = py::array_t<std::int64_t>(t.size);
  t.time = py::array_t<double>(t.size);
  t.working_step = py::array_t<std::int64_t>(t.size);
  t.front = py::array_t<std::int64_t>(t.size);
  t.occupancy = py::array_t<std::int64_t>({t.size, levels});
  auto index = t.action_index.mutable_unchecked<1>();
  auto time = t.time.mutable_unchecked<1>();
  auto working = t.working_step.mutable_unchecked<1>();
  auto front = t.front.mutable_unchecked<1>();
  auto occupancy = t.occupancy.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < t.size; ++i) {
    const TimelinePoint& point = points[static_cast<std::size_t>(i)];
    index(i) = point.action_index;
    time(i) = point.time;
    working(i) = point.working_step;
    front(i) = point.front;
    for (py::ssize_t k = 0; k < levels; ++k) {
      occupancy(i, k) = point.occupancy.at(static_cast<std::size_t>(k));
    }
  }
  t.report = std::move(report);
  return t;
}

// ---- simulation ------------------------------------------------------------------------

void bind_simulation(py::module_& m) {
  py::class_<LevelUsage>(m, "LevelUsage")
      .def_readonly("writes", &LevelUsage::writes)
      .def_readonly("reads", &LevelUsage::reads)
      .def_readonly("peak", &LevelUsage::peak)
      .def("__eq__", [](const LevelUsage& a, const LevelUsage& b) { return a == b; })
      .def("__repr__", [](const LevelUsage& u) {
        return "LevelUsage(writes=" + std::to_string(u.writes) +
               ", reads=" + std::to_string(u.reads) + ", peak=" + std::to_string(u.peak) + ")";
      });

  py::class_<SimulationReport>(m, "SimulationReport",
                               "What a legal schedule did, in the project's counting convention "
                               "(docs/concepts.md).")
      .def_readonly("num_actions", &SimulationReport::num_actions)
      .def_readonly("forward_steps", &SimulationReport::forward_steps)
      .def_readonly("recorded_steps", &SimulationReport::recorded_steps)
      .def_readonly("adjoint_steps", &SimulationReport::adjoint_steps)
      .def_readonly("reverse_sweeps", &SimulationReport::reverse_sweeps)
      .def_readonly("peak_work_tapes", &SimulationReport::peak_work_tapes)
      .def_readonly("cost", &SimulationReport::cost)
      .def_readonly("levels", &SimulationReport::levels)
      .def_property_readonly("advances", &SimulationReport::advances)
      .def("paper_makespan", &SimulationReport::paper_makespan, py::arg("chain"))
      .def("__repr__", &report_repr);

  py::class_<Simulator>(m, "Simulator",
                        "Replays actions one at a time; apply() raises ScheduleError (and "
                        "changes nothing) on an illegal action.")
      .def(py::init<const Chain&, const Platform&>(), py::arg("chain"), py::arg("platform"),
           py::keep_alive<1, 2>(), py::keep_alive<1, 3>())
      .def("apply", &Simulator::apply, py::arg("action"))
      .def("finish", &Simulator::finish)
      .def_property_readonly("report", &Simulator::report)
      .def_property_readonly("working_step",
                             [](const Simulator& s) -> std::optional<Step> {
                               if (s.working_step() < 0) return std::nullopt;
                               return s.working_step();
                             })
      .def_property_readonly("front", &Simulator::front)
      .def_property_readonly("time", &Simulator::time)
      .def("occupancy", &Simulator::occupancy, py::arg("level"))
      .def("holds", &Simulator::holds, py::arg("place"), py::arg("step"), py::arg("content"))
      .def_property_readonly("chain", &Simulator::chain,
                             py::return_value_policy::reference_internal)
      .def_property_readonly("platform", &Simulator::platform,
                             py::return_value_policy::reference_internal)
      .def("__repr__", [](const Simulator& s) {
        return "Simulator(num_steps=" + std::to_string(s.chain().num_steps()) +
               ", actions=" + std::to_string(s.report().num_actions) +
               ", front=" + std::to_string(s.front()) + ", time=" + number(s.time()) + ")";
      });

  m.def(
      "simulate",
      [](const py::object& schedule, const Chain& chain, const Platform& platform,
         const py::object& observer) {
        ScheduleArgument argument = schedule_argument(schedule);
        if (!observer.is_none()) {
          // The observer is Python: keep the GIL. It sees the simulator after each action.
          const SimulationObserver call = [&observer](const Simulator& simulator,
                                                      const Action& action) {
            observer(py::cast(simulator, py::return_value_policy::reference), action);
          };
          return simulate(argument.get(), chain, platform, call);
        }
        Interruptible release;
        return simulate(argument.get(), chain, platform);
      },
      py::arg("schedule"), py::arg("chain"), py::arg("platform"), py::kw_only(),
      py::arg("observer") = py::none(),
      "Replays a schedule (an ActionStream, consumed, or an iterable of Action) and returns "
      "its SimulationReport; raises ScheduleError at the first illegal action. "
      "observer(simulator, action), if given, is called after each legal action (the "
      "simulator is valid only during the call).");

  py::class_<Timeline>(m, "Timeline",
                       "The state after the recorded actions, as numpy arrays of one entry "
                       "per point (occupancy: points x levels), and the SimulationReport.")
      .def_readonly("action_index", &Timeline::action_index)
      .def_readonly("time", &Timeline::time)
      .def_readonly("working_step", &Timeline::working_step)
      .def_readonly("front", &Timeline::front)
      .def_readonly("occupancy", &Timeline::occupancy)
      .def_readonly("report", &Timeline::report)
      .def("__len__", [](const Timeline& t) { return t.size; })
      .def("__repr__", [](const Timeline& t) {
        return "Timeline(points=" + std::to_string(t.size) + ", " + report_repr(t.report) + ")";
      });
  m.def(
      "record_timeline",
      [](const py::object& schedule, const Chain& chain, const Platform& platform,
         std::int64_t max_points) {
        ScheduleArgument argument = schedule_argument(schedule);
        std::vector<TimelinePoint> points;
        SimulationReport report;
        {
          Interruptible release;
          points = record_timeline(argument.get(), chain, platform, max_points, &report);
        }
        return make_timeline(points, platform.num_levels(), std::move(report));
      },
      py::arg("schedule"), py::arg("chain"), py::arg("platform"), py::arg("max_points") = 10000,
      "Replays a schedule and records the state after its actions (thinned to at most about "
      "max_points points) as a Timeline of numpy arrays.");
}

// ---- planners --------------------------------------------------------------------------

void bind_planners(py::module_& m) {
  py::class_<PlannerInfo>(m, "PlannerInfo")
      .def_readonly("name", &PlannerInfo::name)
      .def_readonly("summary", &PlannerInfo::summary)
      .def_property_readonly(
          "predicts_cost", [](const PlannerInfo& p) { return static_cast<bool>(p.predicted_cost); })
      .def("__repr__", [](const PlannerInfo& p) { return "PlannerInfo(name='" + p.name + "')"; });

  m.def(
      "planners", []() { return chain_planners(); },
      "Every chain planner of the registry, in a stable order.");
  m.def(
      "plan",
      [](const std::string& name, const Chain& chain, const Platform& platform,
         std::optional<Step> period,
         std::optional<std::int64_t> sweeps) -> std::unique_ptr<ActionStream> {
        const PlannerInfo& planner = find_chain_planner(name);
        const PlanOptions options = plan_options(period, sweeps);
        Interruptible release;
        return planner.plan(chain, platform, options);
      },
      py::arg("name"), py::arg("chain"), py::arg("platform"), py::kw_only(),
      py::arg("period") = py::none(), py::arg("sweeps") = py::none(),
      "The schedule of planner `name` as a lazy ActionStream, or None if no schedule fits. "
      "ValueError for an unknown name.");
  m.def(
      "predicted_cost",
      [](const std::string& name, const Chain& chain, const Platform& platform,
         std::optional<Step> period, std::optional<std::int64_t> sweeps) -> std::optional<double> {
        const PlannerInfo& planner = find_chain_planner(name);
        if (!planner.predicted_cost) return std::nullopt;
        const PlanOptions options = plan_options(period, sweeps);
        Interruptible release;
        return planner.predicted_cost(chain, platform, options);
      },
      py::arg("name"), py::arg("chain"), py::arg("platform"), py::kw_only(),
      py::arg("period") = py::none(), py::arg("sweeps") = py::none(),
      "The cost the planner promises (a closed form or DP value), or None.");

  py::class_<PlannerChoice>(m, "PlannerChoice")
      .def_property_readonly("planner", [](const PlannerChoice& c) { return c.planner->name; })
      .def_readonly("cost", &PlannerChoice::cost)
      .def_readonly("costs", &PlannerChoice::costs)
      .def("__repr__", [](const PlannerChoice& c) {
        return "PlannerChoice(planner='" + c.planner->name + "', cost=" + number(c.cost) + ")";
      });
  m.def(
      "choose_chain_planner",
      [](const Chain& chain, const Platform& platform, std::optional<Step> period,
         std::optional<std::int64_t> sweeps) {
        const PlanOptions options = plan_options(period, sweeps);
        Interruptible release;
        return choose_chain_planner(chain, platform, options);
      },
      py::arg("chain"), py::arg("platform"), py::kw_only(), py::arg("period") = py::none(),
      py::arg("sweeps") = py::none(),
      "The cheapest applicable planner and every applicable planner's cost, or None.");
}

// ---- formats and pictures --------------------------------------------------------------

void bind_formats(py::module_& m) {
  py::class_<ScheduleFile>(m, "ScheduleFile")
      .def_readonly("num_steps", &ScheduleFile::num_steps)
      .def_readonly("actions", &ScheduleFile::schedule)
      .def_readonly("source_lines", &ScheduleFile::source_lines)
      .def("__repr__", [](const ScheduleFile& f) {
        return "ScheduleFile(num_steps=" +
               (f.num_steps ? std::to_string(*f.num_steps) : std::string("None")) + ", actions=<" +
               std::to_string(f.schedule.size()) + " actions>)";
      });

  m.def(
      "detect_schedule_format",
      [](const std::string& text) { return format_name(detect_schedule_format(text)); },
      py::arg("text"), "'json', 'checkpoint_schedules' or 'revolve'; ParseError otherwise.");
  m.def(
      "read_schedule",
      [](const std::string& text, std::optional<Step> num_steps) {
        Interruptible release;
        return read_schedule(text, num_steps);
      },
      py::arg("text"), py::arg("num_steps") = py::none(),
      "Reads a schedule in any format (detected); ParseError on malformed text.");
  m.def(
      "write_schedule",
      [](const py::object& schedule, const std::string& format, std::optional<Step> num_steps) {
        const ScheduleFormat which = format_from_name(format);
        ScheduleArgument argument = schedule_argument(schedule);
        if (which != ScheduleFormat::kCheckpointSchedules && !num_steps) {
          throw std::invalid_argument("write_schedule: format '" + format + "' needs num_steps");
        }
        Interruptible release;
        std::ostringstream out;
        switch (which) {
          case ScheduleFormat::kJson:
            write_schedule_json(out, argument.get(), *num_steps);
            break;
          case ScheduleFormat::kCheckpointSchedules:
            write_checkpoint_schedules(out, argument.get());
            break;
          case ScheduleFormat::kRevolve:
            write_revolve(out, argument.get(), *num_steps);
            break;
        }
        return out.str();
      },
      py::arg("schedule"), py::arg("format") = "json", py::arg("num_steps") = py::none(),
      "The schedule as text: format 'json' (needs num_steps), 'checkpoint_schedules' or "
      "'revolve' (needs num_steps).");
  m.def(
      "schedule_svg",
      [](const py::object& schedule, const Chain& chain, const Platform& platform) {
        ScheduleArgument argument = schedule_argument(schedule);
        Interruptible release;
        std::ostringstream out;
        write_schedule_svg(out, argument.get(), chain, platform);
        return out.str();
      },
      py::arg("schedule"), py::arg("chain"), py::arg("platform"),
      "The schedule picture as an SVG document (the schedule is simulated; ScheduleError if "
      "illegal).");
}

// ---- binomial formulas -----------------------------------------------------------------

void bind_binomial(py::module_& m) {
  m.def("revolve_forward_steps", &revolve_forward_steps, py::arg("num_steps"), py::arg("slots"),
        "n + t(n, slots): forward steps of Revolve, recording runs included.");
  m.def("revolve_advances", &revolve_advances, py::arg("num_steps"), py::arg("slots"),
        "t(n, slots): Griewank's advances of Revolve.");
  m.def("repetition_number", &repetition_number, py::arg("num_steps"), py::arg("slots"));
}

}  // namespace

}  // namespace memsched::python

PYBIND11_MODULE(_memsched, m) {
  using namespace memsched::python;
  m.doc() = "Compiled core of the memsched package (use `import memsched`).";
  m.attr("__version__") = MEMSCHED_VERSION_STRING;
  register_exceptions(m);
  bind_model(m);
  bind_actions(m);
  bind_simulation(m);
  bind_planners(m);
  bind_formats(m);
  bind_binomial(m);
  bind_checkpoint_schedules(m);
  bind_exec(m);
  bind_tree(m);
  bind_hetero(m);
  bind_pipeline(m);
  bind_graph(m);
  bind_calltree(m);
  name_integer_range_errors(m);  // last: wraps every function defined above
}
