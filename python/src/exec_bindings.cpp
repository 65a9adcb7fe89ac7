// pybind11 bindings of the executor: Python callables as the forward step, the seed and the
// adjoint step of a real adjoint run, on real storage levels (RAM arena, files, compression).
//
// The GIL is released while the engine works alone (planning, stores, restores, disk I/O,
// replay hashes) and taken only to call the user's callables. A state is turned into
// checkpoint bytes by one of two codecs, chosen from x0: a numpy array (any non-object dtype,
// fixed dtype and shape) is copied through the buffer protocol; anything else is pickled
// (protocol 5) after every step. Restored bytes stay in C++ until Python needs the object.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "memsched/memsched.hpp"

namespace py = pybind11;

namespace memsched::python {

namespace {

// ---- the state codec -------------------------------------------------------------------

// The working state: a Python object and the checkpoint bytes it encodes to. After a load
// (no GIL) the bytes are the truth and the object is rebuilt when Python next needs it.
class PyState {
 public:
  // GIL held. Copies x0: the caller's object is never modified.
  explicit PyState(const py::handle& x0) {
    if (py::isinstance<py::array>(x0)) {
      const auto array = py::reinterpret_borrow<py::array>(x0);
      if (array.dtype().kind() != 'O') {
        array_ = true;
        dtype_ = array.dtype();
        shape_.assign(array.shape(), array.shape() + array.ndim());
        const auto contiguous = py::array::ensure(array, py::array::c_style);
        set(py::array(dtype_, shape_, contiguous.data()));  // a copy
        return;
      }
    }
    const py::module_ pickle = py::module_::import("pickle");
    dumps_ = pickle.attr("dumps");
    loads_ = pickle.attr("loads");
    set(loads_(dumps_(x0, 5)));  // a deep copy
  }

  // GIL held. A pickle codec with no object yet (it may load bytes first).
  struct PickleOnly {};
  explicit PyState(PickleOnly) {
    const py::module_ pickle = py::module_::import("pickle");
    dumps_ = pickle.attr("dumps");
    loads_ = pickle.attr("loads");
  }

  bool is_array() const noexcept { return array_; }

  // GIL held: the working state is now `value` (a callback's result or the mutated object).
  void set(py::object value) {
    if (array_) {
      if (!py::isinstance<py::array>(value)) {
        throw py::value_error(
            "run_adjoint: the state is a numpy array, the forward step returned " +
            std::string(py::str(py::type::of(value).attr("__name__"))));
      }
      auto array = py::reinterpret_borrow<py::array>(value);
      if (!array.dtype().equal(dtype_) || array.ndim() != static_cast<py::ssize_t>(shape_.size()) ||
          !std::equal(shape_.begin(), shape_.end(), array.shape())) {
        throw py::value_error("run_adjoint: the forward step changed the state's dtype or shape (" +
                              std::string(py::str(array.dtype())) + " " +
                              std::string(py::str(value.attr("shape"))) + ")");
      }
      array = py::array::ensure(array, py::array::c_style);
      data_ = static_cast<const std::byte*>(array.data());
      size_ = static_cast<std::size_t>(array.nbytes());
      object_ = std::move(array);
    } else {
      py::bytes bytes = dumps_(value, 5);
      char* buffer = nullptr;
      py::ssize_t length = 0;
      PyBytes_AsStringAndSize(bytes.ptr(), &buffer, &length);
      data_ = reinterpret_cast<const std::byte*>(buffer);
      size_ = static_cast<std::size_t>(length);
      encoded_ = std::move(bytes);
      object_ = std::move(value);
    }
    pending_ = false;
  }

  // GIL held: the Python object of the working state.
  py::object object() {
    if (pending_) {
      if (array_) {
        set(py::array(dtype_, shape_, loaded_.data()));
      } else {
        set(loads_(py::bytes(reinterpret_cast<const char*>(loaded_.data()), loaded_.size())));
      }
    }
    return object_;
  }

  // No GIL needed: plain bytes.
  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  void load(const std::byte* in, std::size_t size) {
    if (array_ && size != size_) {
      throw std::invalid_argument("run_adjoint: a checkpoint of " + std::to_string(size) +
                                  " bytes for a state of " + std::to_string(size_));
    }
    loaded_.assign(in, in + size);
    data_ = loaded_.data();
    size_ = loaded_.size();
    pending_ = true;
  }

 private:
  bool array_ = false;
  py::dtype dtype_;
  std::vector<py::ssize_t> shape_;
  py::object dumps_, loads_;
  py::object object_;   // the state as Python sees it (stale while pending_)
  py::object encoded_;  // pickle codec: the bytes object data_ points into
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::vector<std::byte> loaded_;
  bool pending_ = false;
};

// The engine's view of the user's callables (joint mode). Every method the engine calls
// without the GIL touches only bytes; perform() runs with the GIL held.
class PyStepBinding final : public detail::StepBinding {
 public:
  // `journaled`: the adjoint is pickled after every change, so that resume journals hold it.
  PyStepBinding(const py::handle& x0, py::object forward, py::object seed, py::object adjoint,
                bool journaled = false)
      : state_(x0),
        forward_(std::move(forward)),
        seed_(std::move(seed)),
        adjoint_(std::move(adjoint)) {
    if (journaled) adjoint_codec_.emplace(PyState::PickleOnly{});
  }

  std::size_t state_size() const override { return state_.size(); }
  void save_state(std::byte* out) const override {
    if (state_.size() != 0) std::memcpy(out, state_.data(), state_.size());
  }
  void load_state(const std::byte* in, std::size_t size) override { state_.load(in, size); }
  std::uint64_t hash_state() const override { return hash_bytes(state_.data(), state_.size()); }
  // The adjoint is saved only by resume journals: pickled then, a Python object otherwise.
  std::size_t adjoint_size() const override { return adjoint_codec_ ? adjoint_codec_->size() : 0; }
  void save_adjoint(std::byte* out) const override {
    if (adjoint_codec_ && adjoint_codec_->size() != 0) {
      std::memcpy(out, adjoint_codec_->data(), adjoint_codec_->size());
    }
  }
  void load_adjoint(const std::byte* in, std::size_t size) override {
    if (!adjoint_codec_) throw std::logic_error("run_adjoint: no adjoint codec to resume");
    adjoint_codec_->load(in, size);
  }

  // GIL held.
  void perform(StepWork work) {
    switch (work.kind) {
      case StepWork::Kind::kAdvance:
      case StepWork::Kind::kRecord: {
        py::object x = state_.object();
        py::object result = forward_(x, work.step);
        state_.set(result.is_none() ? std::move(x) : std::move(result));
        break;
      }
      case StepWork::Kind::kSeed: {
        final_state_ = state_.object();
        py::object y = seed_(final_state_);
        if (y.is_none()) {
          throw py::value_error("run_adjoint: seed(x_n) returned None, not the adjoint y_n");
        }
        set_adjoint(std::move(y));
        break;
      }
      case StepWork::Kind::kReverse: {
        py::object y = adjoint_state();
        py::object result = adjoint_(state_.object(), y, work.step);
        set_adjoint(result.is_none() ? std::move(y) : std::move(result));
        break;
      }
    }
  }

  PyState& state() noexcept { return state_; }
  // GIL held.
  py::object adjoint_state() { return adjoint_codec_ ? adjoint_codec_->object() : adjoint_state_; }
  py::object final_state() const { return final_state_; }

 private:
  void set_adjoint(py::object y) {
    if (adjoint_codec_) {
      adjoint_codec_->set(std::move(y));
    } else {
      adjoint_state_ = std::move(y);
    }
  }

  PyState state_;
  std::optional<PyState> adjoint_codec_;
  py::object forward_, seed_, adjoint_;
  py::object adjoint_state_ = py::none();
  py::object final_state_ = py::none();
};

// ---- storage levels from a platform ------------------------------------------------------

struct Levels {
  std::vector<std::unique_ptr<Storage>> owned;
  std::vector<Storage*> list() const {
    std::vector<Storage*> out;
    for (const auto& level : owned) out.push_back(level.get());
    return out;
  }
};

std::optional<Compression> compression_from_name(const std::optional<std::string>& name) {
  if (!name || *name == "none") return std::nullopt;
  if (*name == "zstd") return Compression::kZstd;
  if (*name == "lz4") return Compression::kLz4;
  throw std::invalid_argument("run_adjoint: unknown compression '" + *name +
                              "' (known: None, 'zstd', 'lz4')");
}

// Level 0 is a preallocated RAM arena; every further level is a folder of checkpoint files,
// disk_dir/<level name>, removed when the run ends (also after an exception). Compression
// (if any) wraps the file levels. `slot_bytes` is one checkpoint's room.
Levels make_levels(const Platform& platform, Step num_steps, std::uint64_t slot_bytes,
                   const std::optional<std::filesystem::path>& disk_dir,
                   std::optional<Compression> compression, bool keep_files = false,
                   bool resume = false) {
  Levels levels;
  const auto slots_of = [num_steps](const StorageLevel& level) -> std::uint64_t {
    if (level.num_slots == kUnlimitedSlots) return static_cast<std::uint64_t>(num_steps) + 1;
    return static_cast<std::uint64_t>(std::max<std::int64_t>(1, level.num_slots));
  };
  const std::uint64_t ram_slot = (slot_bytes + 63) / 64 * 64;
  levels.owned.push_back(
      make_ram_storage(ram_slot * slots_of(platform.level(0)),
                       platform.level(0).name.empty() ? "ram" : platform.level(0).name));
  for (std::size_t i = 1; i < platform.num_levels(); ++i) {
    const StorageLevel& level = platform.level(i);
    if (!disk_dir) {
      throw std::invalid_argument("run_adjoint: level '" + level.name +
                                  "' is stored in files: give disk_dir");
    }
    const std::uint64_t capacity =
        level.num_slots == kUnlimitedSlots
            ? std::numeric_limits<std::uint64_t>::max() / 4
            : (48 + slot_bytes + 64) *
                  static_cast<std::uint64_t>(std::max<std::int64_t>(1, level.num_slots));
    if (keep_files && !resume) {
      // A fresh journaled run: a level that does not keep its files removes the folder's
      // checkpoint files (left by an interrupted run) at construction.
      make_file_storage(*disk_dir / level.name, capacity, {}, level.name);
    }
    FileStorageOptions file_options;
    file_options.keep_files = keep_files;
    auto files = make_file_storage(*disk_dir / level.name, capacity, file_options, level.name);
    if (compression) files = make_compressed_storage(std::move(files), *compression);
    levels.owned.push_back(std::move(files));
  }
  return levels;
}

void check_callable(const py::object& f, const char* name) {
  if (!PyCallable_Check(f.ptr())) {
    throw py::type_error(std::string("run_adjoint: ") + name + " must be callable");
  }
}

std::int64_t positive(std::optional<std::int64_t> value, const char* name) {
  if (value && *value < 1) {
    throw std::invalid_argument(std::string("run_adjoint: ") + name + " must be >= 1, got " +
                                std::to_string(*value));
  }
  return value.value_or(0);
}

// Room for one checkpoint: exact for arrays, with slack for pickled states (sizes may vary).
std::uint64_t slot_bytes_of(const PyState& state) {
  const auto size = static_cast<std::uint64_t>(state.size());
  return state.is_array() ? size : size + size / 4 + 256;
}

// Slots that `ram_bytes` buys, or the slots asked for.
std::int64_t ram_slots_from(std::optional<std::int64_t> ram_slots,
                            std::optional<std::int64_t> ram_bytes, std::uint64_t slot_bytes) {
  if (ram_slots && ram_bytes) {
    throw std::invalid_argument("run_adjoint: give ram_slots or ram_bytes, not both");
  }
  if (ram_bytes) {
    if (*ram_bytes < 1) {
      throw std::invalid_argument("run_adjoint: ram_bytes must be >= 1, got " +
                                  std::to_string(*ram_bytes));
    }
    const std::uint64_t slot = (slot_bytes + 63) / 64 * 64;
    const auto slots = static_cast<std::int64_t>(static_cast<std::uint64_t>(*ram_bytes) / slot);
    if (slots < 1) {
      throw std::invalid_argument("run_adjoint: ram_bytes=" + std::to_string(*ram_bytes) +
                                  " holds no checkpoint of " + std::to_string(slot) + " bytes");
    }
    return slots;
  }
  if (!ram_slots) throw std::invalid_argument("run_adjoint: give ram_slots or ram_bytes");
  return positive(ram_slots, "ram_slots");
}

// ---- the result ------------------------------------------------------------------------

struct AdjointRun {
  py::object adjoint;      // y_0
  py::object final_state;  // x_n, as handed to seed
  std::string planner;
  ExecutionProfile profile;
};

ExecutorOptions executor_options(bool replay_check, bool validate) {
  ExecutorOptions options;
  options.replay_check = replay_check;
  options.validate = validate;
  return options;
}

// Drives the engine: C++ work with the GIL released, callbacks with it held. The binding
// and the levels outlive the engine; on any exception (a Python one included, as
// error_already_set) the engine and then the levels are destroyed, which removes their files.
template <typename Make, typename AfterWork>
ExecutionProfile drive(PyStepBinding& binding, Make&& make_executor, AfterWork&& after_work) {
  ExecutionProfile profile;
  py::gil_scoped_release release;
  std::unique_ptr<AdjointExecutor> executor = make_executor();
  while (std::optional<StepWork> work = executor->next()) {
    py::gil_scoped_acquire acquire;
    binding.perform(*work);
    after_work(*executor, *work);
  }
  profile = executor->profile();
  return profile;
}

AdjointRun run_adjoint_py(
    const py::object& x0, Step num_steps, const py::object& forward, const py::object& seed,
    const py::object& adjoint, const std::string& planner, std::optional<std::int64_t> ram_slots,
    std::optional<std::int64_t> ram_bytes, std::optional<std::string> disk_dir,
    std::optional<std::int64_t> disk_slots, double disk_write_cost, double disk_read_cost,
    std::optional<std::string> compression, std::optional<Platform> platform, double forward_cost,
    double adjoint_cost, std::optional<Step> period, std::optional<std::int64_t> sweeps,
    bool replay_check, bool validate, const py::object& schedule_object,
    std::optional<std::string> journal, std::int64_t journal_every, bool resume) {
  check_callable(forward, "forward");
  check_callable(seed, "seed");
  check_callable(adjoint, "adjoint");
  if (num_steps < 1) {
    throw std::invalid_argument("run_adjoint: num_steps must be >= 1, got " +
                                std::to_string(num_steps));
  }
  const std::optional<Compression> codec = compression_from_name(compression);
  positive(disk_slots, "disk_slots");
  if (resume && !journal) throw std::invalid_argument("run_adjoint: resume needs journal");
  if (journal_every < 1) {
    throw std::invalid_argument("run_adjoint: journal_every must be >= 1, got " +
                                std::to_string(journal_every));
  }
  PyStepBinding binding(x0, forward, seed, adjoint, journal.has_value());
  const std::uint64_t slot_bytes = slot_bytes_of(binding.state());
  if (platform) {
    if (ram_slots || ram_bytes || disk_slots) {
      throw std::invalid_argument(
          "run_adjoint: give platform or ram_slots/ram_bytes/disk_slots, not both");
    }
  } else {
    std::vector<StorageLevel> list{
        {"ram", ram_slots_from(ram_slots, ram_bytes, slot_bytes), 0.0, 0.0}};
    if (disk_dir) {
      list.push_back(
          {"disk", disk_slots ? *disk_slots : kUnlimitedSlots, disk_write_cost, disk_read_cost});
    } else if (disk_slots) {
      throw std::invalid_argument("run_adjoint: disk_slots needs disk_dir");
    }
    platform = Platform(std::move(list));
  }
  const Chain chain(num_steps, forward_cost, adjoint_cost);
  PlanOptions plan_options;
  plan_options.period = period;
  plan_options.sweeps = sweeps;
  std::string name = planner;
  std::unique_ptr<ActionStream> owned;
  ActionStream* schedule = nullptr;
  Schedule given;
  if (!schedule_object.is_none()) {
    // A schedule of the caller's (a stream, consumed, or actions): validated in lockstep.
    name = "schedule";
    if (py::isinstance<ActionStream>(schedule_object)) {
      schedule = &schedule_object.cast<ActionStream&>();
    } else {
      for (const py::handle item : py::iter(schedule_object)) given.push_back(item.cast<Action>());
      owned = std::make_unique<ScheduleStream>(given);
      schedule = owned.get();
    }
  } else {
    py::gil_scoped_release release;
    if (name == "auto") {
      const std::optional<PlannerChoice> choice =
          choose_chain_planner(chain, *platform, plan_options);
      if (choice) name = choice->planner->name;
    }
    if (name != "auto") owned = find_chain_planner(name).plan(chain, *platform, plan_options);
    schedule = owned.get();
  }
  if (!schedule) {
    throw std::invalid_argument("run_adjoint: planner '" + name + "' has no schedule for " +
                                std::to_string(num_steps) + " steps on this platform");
  }
  std::optional<std::filesystem::path> folder;
  if (disk_dir) folder = std::filesystem::path(*disk_dir);
  Levels levels =
      make_levels(*platform, num_steps, slot_bytes, folder, codec, journal.has_value(), resume);
  ExecutorOptions options = executor_options(replay_check, validate);
  if (journal) {
    if (!resume) {
      // A fresh run must not meet a stale journal; the engine writes a new one.
      std::error_code ignored;
      std::filesystem::remove(*journal, ignored);
      std::filesystem::remove(*journal + ".hashes", ignored);
    }
    options.journal = *journal;
    options.journal_every = journal_every;
    options.resume = resume;
  }
  AdjointRun run;
  run.profile = drive(
      binding,
      [&] {
        return std::make_unique<AdjointExecutor>(binding, *schedule, num_steps, levels.list(),
                                                 options);
      },
      [](AdjointExecutor&, StepWork) {});
  run.profile.planner = name;
  run.planner = name;
  run.adjoint = binding.adjoint_state();
  run.final_state = binding.final_state();
  return run;
}

AdjointRun run_adjoint_online_py(const py::object& x0, const py::object& forward,
                                 const py::object& seed, const py::object& adjoint,
                                 const py::object& stop, const std::string& planner,
                                 std::optional<std::int64_t> ram_slots,
                                 std::optional<std::int64_t> ram_bytes, std::optional<Step> period,
                                 std::optional<Step> max_steps, bool replay_check) {
  check_callable(forward, "forward");
  check_callable(seed, "seed");
  check_callable(adjoint, "adjoint");
  check_callable(stop, "stop");
  positive(max_steps, "max_steps");
  PyStepBinding binding(x0, forward, seed, adjoint);
  const std::uint64_t slot_bytes = slot_bytes_of(binding.state());
  const std::int64_t slots = ram_slots_from(ram_slots, ram_bytes, slot_bytes);
  std::unique_ptr<OnlinePlanner> schedule;
  if (planner == "online") {
    schedule = std::make_unique<OnlineCheckpointer>(slots);
  } else if (planner == "online-periodic") {
    if (!period) throw std::invalid_argument("run_adjoint_online: 'online-periodic' needs period");
    schedule = std::make_unique<OnlinePeriodic>(*period, slots);
  } else if (planner == "online-revolve") {
    schedule = std::make_unique<OnlineRevolve>(slots);
  } else {
    throw std::invalid_argument("run_adjoint_online: unknown planner '" + planner +
                                "' (known: 'online', 'online-periodic', 'online-revolve')");
  }
  // The online schedules keep at most `slots` states; RAM room for all of them.
  const Platform platform({{"ram", slots, 0.0, 0.0}});
  Levels levels = make_levels(platform, 1, slot_bytes, std::nullopt, std::nullopt);
  const ExecutorOptions options = executor_options(replay_check, false);
  AdjointRun run;
  run.profile = drive(
      binding,
      [&] { return std::make_unique<AdjointExecutor>(binding, *schedule, levels.list(), options); },
      [&](AdjointExecutor& executor, StepWork work) {
        // GIL held here. x_k with k = step + 1 was just produced by the first sweep.
        if (!executor.online_forward() || work.kind != StepWork::Kind::kAdvance) return;
        const Step k = work.step + 1;
        const bool last = py::bool_(stop(binding.state().object(), k));
        if (!last && max_steps && k >= *max_steps) {
          throw std::invalid_argument("run_adjoint_online: stop() said no to all " +
                                      std::to_string(*max_steps) + " steps (max_steps)");
        }
        if (last) executor.end_forward();
      });
  run.profile.planner = planner;
  run.planner = planner;
  run.adjoint = binding.adjoint_state();
  run.final_state = binding.final_state();
  return run;
}

// ---- exceptions ----------------------------------------------------------------------

py::handle replay_error_type;
py::handle storage_error_type;
py::handle checksum_error_type;
py::handle resume_error_type;

void register_exec_exceptions(py::module_& m) {
  replay_error_type = py::exception<ReplayError>(m, "ReplayError", PyExc_RuntimeError).release();
  storage_error_type = py::exception<StorageError>(m, "StorageError", PyExc_OSError).release();
  checksum_error_type =
      py::exception<ChecksumError>(m, "ChecksumError", storage_error_type).release();
  resume_error_type = py::exception<ResumeError>(m, "ResumeError", PyExc_RuntimeError).release();
  py::setattr(resume_error_type, "__doc__",
              py::str("A run cannot be resumed from its journal (missing, corrupt, or from "
                      "another schedule or x0)."));
  py::setattr(replay_error_type, "__doc__",
              py::str("A recomputed state differs from the first sweep's (`step`): the step "
                      "reads something the state does not hold; the gradient would be wrong."));
  py::setattr(storage_error_type, "__doc__",
              py::str("A storage level failed (disk full, permission, capacity)."));
  py::setattr(checksum_error_type, "__doc__",
              py::str("A checkpoint file does not match its checksum (corrupted)."));
  py::register_exception_translator([](std::exception_ptr pointer) {
    if (!pointer) return;
    try {
      std::rethrow_exception(pointer);
    } catch (const ReplayError& e) {
      py::object instance = replay_error_type(py::str(e.what()));
      instance.attr("step") = e.step();
      PyErr_SetObject(replay_error_type.ptr(), instance.ptr());
    } catch (const ResumeError& e) {
      PyErr_SetString(resume_error_type.ptr(), e.what());
    } catch (const ChecksumError& e) {
      PyErr_SetString(checksum_error_type.ptr(), e.what());
    } catch (const StorageError& e) {
      PyErr_SetString(storage_error_type.ptr(), e.what());
    }
  });
}

std::string seconds_text(double s) {
  std::string text = std::to_string(s);
  return text;
}

}  // namespace

void bind_exec(py::module_& m) {
  register_exec_exceptions(m);

  py::enum_<OnlinePolicy>(m, "OnlinePolicy")
      .value("REVOLVE_GREEDY", OnlinePolicy::kRevolveGreedy)
      .value("WANG_MOIN_IACCARINO", OnlinePolicy::kWangMoinIaccarino);
  py::class_<OnlineCheckpointer>(
      m, "OnlineCheckpointer",
      "Online checkpointing for a loop of unknown length (docs/online.md): before each step, "
      "begin_step() says what to release and store (as actions); finish() returns the "
      "reversal once the loop has ended.")
      .def(py::init<std::int64_t, Place, OnlinePolicy>(), py::arg("slots"), py::arg("level") = 0,
           py::arg("policy") = OnlinePolicy::kRevolveGreedy)
      .def(
          "begin_step", [](OnlineCheckpointer& p) { return p.begin_step(); },
          "The working state is x_i (i = steps_begun): the actions to run before step i "
          "([Free(evicted)] [Copy(i, WORK -> level)]).")
      .def(
          "begin_last_step", [](OnlineCheckpointer& p) { p.begin_last_step(); },
          "Step i is the last and will run recording (a fixed final time).")
      .def("finish", &OnlineCheckpointer::finish,
           "The reversal (EndForward ... EndReverse) of the steps begun, as a lazy ActionStream; "
           "once only.")
      .def_property_readonly("steps_begun", &OnlineCheckpointer::steps_begun)
      .def_property_readonly("checkpoints", &OnlineCheckpointer::checkpoints)
      .def_property_readonly("slots", &OnlineCheckpointer::slots)
      .def_property_readonly("policy", &OnlineCheckpointer::policy)
      .def("__repr__", [](const OnlineCheckpointer& p) {
        return "OnlineCheckpointer(slots=" + std::to_string(p.slots()) +
               ", steps_begun=" + std::to_string(p.steps_begun()) + ")";
      });

  py::class_<WorkTiming>(m, "WorkTiming", "Count and wall time (seconds) of one kind of work.")
      .def_readonly("count", &WorkTiming::count)
      .def_readonly("seconds", &WorkTiming::seconds)
      .def_readonly("max_seconds", &WorkTiming::max_seconds)
      .def_property_readonly("mean_seconds", &WorkTiming::mean_seconds)
      .def("__repr__", [](const WorkTiming& t) {
        return "WorkTiming(count=" + std::to_string(t.count) +
               ", seconds=" + seconds_text(t.seconds) + ")";
      });

  py::class_<StorageCounters>(m, "StorageCounters", "What one storage level did during a run.")
      .def_readonly("writes", &StorageCounters::writes)
      .def_readonly("reads", &StorageCounters::reads)
      .def_readonly("releases", &StorageCounters::releases)
      .def_readonly("bytes_written", &StorageCounters::bytes_written)
      .def_readonly("bytes_read", &StorageCounters::bytes_read)
      .def_readonly("stored_bytes", &StorageCounters::stored_bytes)
      .def_readonly("write_seconds", &StorageCounters::write_seconds)
      .def_readonly("read_seconds", &StorageCounters::read_seconds)
      .def_readonly("prefetch_hits", &StorageCounters::prefetch_hits)
      .def_readonly("codec_seconds", &StorageCounters::codec_seconds)
      .def_readonly("peak_used_bytes", &StorageCounters::peak_used_bytes)
      .def_readonly("peak_checkpoints", &StorageCounters::peak_checkpoints)
      .def("__repr__", [](const StorageCounters& c) {
        return "StorageCounters(writes=" + std::to_string(c.writes) +
               ", reads=" + std::to_string(c.reads) +
               ", peak_checkpoints=" + std::to_string(c.peak_checkpoints) + ")";
      });

  py::class_<LevelProfile>(m, "LevelProfile", "Use of one storage level during a run.")
      .def_readonly("name", &LevelProfile::name)
      .def_readonly("capacity_bytes", &LevelProfile::capacity_bytes)
      .def_readonly("persistent", &LevelProfile::persistent)
      .def_readonly("counters", &LevelProfile::counters)
      .def_property_readonly("write_bandwidth", &LevelProfile::write_bandwidth)
      .def_property_readonly("read_bandwidth", &LevelProfile::read_bandwidth)
      .def("__repr__", [](const LevelProfile& l) {
        return "LevelProfile(name='" + l.name + "', writes=" + std::to_string(l.counters.writes) +
               ", reads=" + std::to_string(l.counters.reads) + ")";
      });

  py::class_<ExecutionProfile>(m, "ExecutionProfile",
                               "Everything measured about one executed schedule (seconds, "
                               "bytes); to_text() is the report of docs/executor.md.")
      .def_readonly("problem", &ExecutionProfile::problem)
      .def_readonly("planner", &ExecutionProfile::planner)
      .def_readonly("num_steps", &ExecutionProfile::num_steps)
      .def_readonly("num_actions", &ExecutionProfile::num_actions)
      .def_readonly("state_bytes", &ExecutionProfile::state_bytes)
      .def_readonly("advance_first", &ExecutionProfile::advance_first)
      .def_readonly("advance_recompute", &ExecutionProfile::advance_recompute)
      .def_readonly("record", &ExecutionProfile::record)
      .def_readonly("reverse", &ExecutionProfile::reverse)
      .def_readonly("seed", &ExecutionProfile::seed)
      .def_readonly("hashing", &ExecutionProfile::hashing)
      .def_readonly("state_codec", &ExecutionProfile::state_codec)
      .def_readonly("replay_checks", &ExecutionProfile::replay_checks)
      .def_readonly("unplanned_forward_steps", &ExecutionProfile::unplanned_forward_steps)
      .def_readonly("total_seconds", &ExecutionProfile::total_seconds)
      .def_readonly("levels", &ExecutionProfile::levels)
      .def_readonly("plan", &ExecutionProfile::plan)
      .def_readonly("rss_start_bytes", &ExecutionProfile::rss_start_bytes)
      .def_readonly("rss_peak_bytes", &ExecutionProfile::rss_peak_bytes)
      .def_readonly("planned_extra_bytes", &ExecutionProfile::planned_extra_bytes)
      .def_property_readonly("forward_steps", &ExecutionProfile::forward_steps)
      .def_property_readonly("forward_seconds", &ExecutionProfile::forward_seconds)
      .def_property_readonly("adjoint_seconds", &ExecutionProfile::adjoint_seconds)
      .def("predicted_seconds", &ExecutionProfile::predicted_seconds,
           "Time the plan predicts at the measured unit costs, or None without a plan.")
      .def("to_text", [](const ExecutionProfile& p) { return to_text(p); })
      .def("to_json", [](const ExecutionProfile& p) { return to_json(p); })
      .def("__repr__", [](const ExecutionProfile& p) {
        return "ExecutionProfile(planner='" + p.planner +
               "', num_steps=" + std::to_string(p.num_steps) +
               ", forward_steps=" + std::to_string(p.forward_steps()) +
               ", adjoint_steps=" + std::to_string(p.reverse.count) +
               ", seconds=" + seconds_text(p.total_seconds) + ")";
      });

  py::class_<AdjointRun>(m, "AdjointRun",
                         "The result of run_adjoint: `adjoint` (y_0), `final_state` (x_n as "
                         "given to seed), `planner` and the `profile`.")
      .def_readonly("adjoint", &AdjointRun::adjoint)
      .def_readonly("final_state", &AdjointRun::final_state)
      .def_readonly("planner", &AdjointRun::planner)
      .def_readonly("profile", &AdjointRun::profile)
      .def("__repr__", [](const AdjointRun& r) {
        return "AdjointRun(planner='" + r.planner +
               "', num_steps=" + std::to_string(r.profile.num_steps) +
               ", forward_steps=" + std::to_string(r.profile.forward_steps()) + ")";
      });

  m.def("run_adjoint", &run_adjoint_py, py::arg("x0"), py::arg("num_steps"), py::arg("forward"),
        py::arg("seed"), py::arg("adjoint"), py::kw_only(), py::arg("planner") = "revolve",
        py::arg("ram_slots") = py::none(), py::arg("ram_bytes") = py::none(),
        py::arg("disk_dir") = py::none(), py::arg("disk_slots") = py::none(),
        py::arg("disk_write_cost") = 1.0, py::arg("disk_read_cost") = 1.0,
        py::arg("compression") = py::none(), py::arg("platform") = py::none(),
        py::arg("forward_cost") = 1.0, py::arg("adjoint_cost") = 1.0,
        py::arg("period") = py::none(), py::arg("sweeps") = py::none(),
        py::arg("replay_check") = true, py::arg("validate") = true,
        py::arg("schedule") = py::none(), py::arg("journal") = py::none(),
        py::arg("journal_every") = 1, py::arg("resume") = false,
        R"doc(Runs a checkpointed adjoint of `num_steps` steps with Python callables.

forward(x, k) -> x_{k+1} (or None after updating x in place); seed(x_n) -> y_n;
adjoint(x_k, y, k) -> y_k (or None after updating y in place; x_k must not be modified).
x0 is copied, never modified. A numpy array state is checkpointed through its buffer (fixed
dtype and shape); any other state is pickled. The schedule comes from `planner` (a registry
name or "auto") on the platform: level 0 in RAM (ram_slots, or as many as ram_bytes hold),
plus a file level in disk_dir when given (disk_slots, None = unlimited; planning costs
disk_write_cost / disk_read_cost per checkpoint; compression None, "zstd" or "lz4"); or
`platform` (any levels; level 0 in RAM, level i >= 1 in disk_dir/<name>). The GIL is released
while the engine works. Exceptions raised by the callables propagate unchanged; checkpoint
files are removed in every case. `schedule` (an ActionStream, consumed, or a list of Action,
e.g. read_schedule(text).actions) replaces the planner; its places are the platform's levels.
`journal` (a file path) makes the run resumable: after every journal_every-th adjoint action
the position and the adjoint (pickled) are written there, and disk checkpoints are kept if
the run stops (a crash, an exception from a callback). Calling again with the same arguments
and resume=True finishes it: lost RAM checkpoints are recomputed, the gradient is the
uninterrupted one. A finished run removes the journal. Returns an AdjointRun.)doc");

  m.def("run_adjoint_online", &run_adjoint_online_py, py::arg("x0"), py::arg("forward"),
        py::arg("seed"), py::arg("adjoint"), py::arg("stop"), py::kw_only(),
        py::arg("planner") = "online", py::arg("ram_slots") = py::none(),
        py::arg("ram_bytes") = py::none(), py::arg("period") = py::none(),
        py::arg("max_steps") = py::none(), py::arg("replay_check") = true,
        R"doc(As run_adjoint for a chain whose length is unknown: after each step of the first
sweep, stop(x_k, k) says whether x_k is the last state (then n = k). planner: "online"
(memsched's online checkpointer), "online-periodic" (needs period) or "online-revolve".
max_steps: ValueError if stop() has not said yes by then.)doc");

  m.def(
      "journal_progress",
      [](const std::string& path) { return journal_progress(std::filesystem::path(path)); },
      py::arg("path"),
      R"doc(The number of actions the run journaled at `path` had executed at its last entry, or
None without a readable journal there (several processes agree on a resume point with it).)doc");
}

}  // namespace memsched::python
