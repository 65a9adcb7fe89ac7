// pybind11 bindings of pipeline-parallel training: stage profiles, the event simulator, the
// partition planner and the ZeRO / FSDP model-state calculator.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "memsched/pipeline/pipeline_plan.hpp"
#include "memsched/pipeline/pipeline_simulate.hpp"
#include "memsched/pipeline/zero.hpp"

namespace py = pybind11;

namespace memsched::python {

void bind_pipeline(py::module_& m) {
  py::class_<StageProfile>(m, "StageProfile",
                           "What one pipeline stage costs for one micro-batch: times and bytes "
                           "(docs/pipeline.md).")
      .def(py::init([](double forward_time, double backward_time, Bytes kept_bytes,
                       Bytes forward_peak_bytes, Bytes backward_peak_bytes, Bytes model_bytes) {
             return StageProfile{forward_time,       backward_time,       kept_bytes,
                                 forward_peak_bytes, backward_peak_bytes, model_bytes};
           }),
           py::kw_only(), py::arg("forward_time") = 0.0, py::arg("backward_time") = 0.0,
           py::arg("kept_bytes") = 0, py::arg("forward_peak_bytes") = 0,
           py::arg("backward_peak_bytes") = 0, py::arg("model_bytes") = 0)
      .def_readwrite("forward_time", &StageProfile::forward_time)
      .def_readwrite("backward_time", &StageProfile::backward_time)
      .def_readwrite("kept_bytes", &StageProfile::kept_bytes)
      .def_readwrite("forward_peak_bytes", &StageProfile::forward_peak_bytes)
      .def_readwrite("backward_peak_bytes", &StageProfile::backward_peak_bytes)
      .def_readwrite("model_bytes", &StageProfile::model_bytes)
      .def("__eq__", [](const StageProfile& a, const StageProfile& b) { return a == b; });

  py::class_<PipelineReport>(m, "PipelineReport", "What a simulated pipeline iteration costs.")
      .def_readonly("iteration_time", &PipelineReport::iteration_time)
      .def_readonly("bubble_fraction", &PipelineReport::bubble_fraction)
      .def_readonly("device_peak_bytes", &PipelineReport::device_peak_bytes)
      .def_readonly("device_busy_time", &PipelineReport::device_busy_time)
      .def_readonly("device_max_in_flight", &PipelineReport::device_max_in_flight);

  m.def(
      "simulate_pipeline",
      [](const std::vector<StageProfile>& stages, std::int64_t num_devices,
         std::int64_t micro_batches, const std::string& schedule, std::int64_t chunks) {
        return simulate_pipeline(
            stages, {num_devices, micro_batches, parse_pipeline_schedule_kind(schedule), chunks});
      },
      py::arg("stages"), py::arg("num_devices"), py::arg("micro_batches"), py::kw_only(),
      py::arg("schedule") = "1f1b", py::arg("chunks") = 1,
      "Simulates one iteration of 'gpipe', '1f1b' or 'interleaved' (chunks model chunks per "
      "device; stage k runs on device k % num_devices). ValueError on invalid input.");

  py::class_<DevicePlan>(m, "DevicePlan", "One device's part of a pipeline plan.")
      .def_readonly("first_layer", &DevicePlan::first_layer)
      .def_readonly("last_layer", &DevicePlan::last_layer)
      .def_readonly("recompute", &DevicePlan::recompute)
      .def_readonly("backward_schedule", &DevicePlan::backward_schedule)
      .def_readonly("profile", &DevicePlan::profile)
      .def_readonly("in_flight", &DevicePlan::in_flight)
      .def_readonly("peak_bytes", &DevicePlan::peak_bytes);

  py::class_<PipelinePlan>(m, "PipelinePlan", "A pipeline plan and its simulation.")
      .def_property_readonly("schedule", [](const PipelinePlan& p) { return to_string(p.kind); })
      .def_readonly("micro_batches", &PipelinePlan::micro_batches)
      .def_readonly("devices", &PipelinePlan::devices)
      .def_readonly("bottleneck_time", &PipelinePlan::bottleneck_time)
      .def_readonly("report", &PipelinePlan::report);

  m.def(
      "plan_pipeline",
      [](const HeteroChain& chain, const std::vector<Bytes>& parameter_bytes,
         const std::vector<Bytes>& device_budget_bytes,
         const std::vector<std::int64_t>& micro_batches, const std::vector<std::string>& schedules,
         const std::vector<double>& boundary_time, bool recompute, std::int64_t num_units,
         double max_work) -> std::optional<PipelinePlan> {
        PipelinePlanOptions o;
        o.device_budget_bytes = device_budget_bytes;
        o.micro_batches = micro_batches;
        o.kinds.clear();
        for (const std::string& s : schedules) o.kinds.push_back(parse_pipeline_schedule_kind(s));
        o.boundary_time = boundary_time;
        o.recompute = recompute;
        o.num_units = num_units;
        o.max_work = max_work;
        const PipelineModel model(chain, parameter_bytes);
        py::gil_scoped_release release;
        return plan_pipeline(model, o);
      },
      py::arg("chain"), py::arg("parameter_bytes"), py::arg("device_budget_bytes"), py::kw_only(),
      py::arg("micro_batches") = std::vector<std::int64_t>{1, 2, 4, 8},
      py::arg("schedules") = std::vector<std::string>{"gpipe", "1f1b"},
      py::arg("boundary_time") = std::vector<double>{}, py::arg("recompute") = true,
      py::arg("num_units") = 100, py::arg("max_work") = 2e11,
      "The contiguous partition, schedule, micro-batch count and per-device recomputation with "
      "the smallest simulated iteration time, every device within its budget; None if nothing "
      "fits. chain: the whole mini-batch; parameter_bytes: model state per layer. ValueError on "
      "invalid input or beyond max_work (docs/pipeline.md).");

  m.def("micro_batch_chain", &micro_batch_chain, py::arg("chain"), py::arg("micro_batches"),
        "The chain of one of `micro_batches` micro-batches: every time and activation size "
        "divided by micro_batches, sizes rounded up. ValueError if micro_batches < 1.");

  m.def(
      "pipeline_stage_profile",
      [](const HeteroChain& chain, const std::vector<Bytes>& parameter_bytes, std::int64_t first,
         std::int64_t last, bool recompute, double send_forward, double send_backward) {
        if (!recompute) {
          return store_all_profile(chain, parameter_bytes, first, last, send_forward,
                                   send_backward);
        }
        // Full recomputation: the backward's persistent schedule with room for every size of
        // the segment twice over (so that rounding to 1000 units cannot force a checkpoint) is
        // one recording forward of the whole segment, then every backward.
        const auto add_sat = [](Bytes a, Bytes b) {
          return a > std::numeric_limits<Bytes>::max() - b ? std::numeric_limits<Bytes>::max()
                                                           : a + b;
        };
        const HeteroChain segment = segment_chain(chain, first, last);
        Bytes room = segment.x(segment.num_stages());
        for (const HeteroStage& s : segment.stages()) {
          for (Bytes b : {s.input_bytes, s.tape_bytes, s.forward_tmp_bytes, s.backward_tmp_bytes,
                          s.recording_tmp()}) {
            room = add_sat(room, add_sat(b, b));
          }
        }
        room = add_sat(room, add_sat(segment.loss().input_bytes, segment.loss().input_bytes));
        std::optional<RecomputeStage> r = recompute_profile(
            chain, parameter_bytes, first, last, room, 1000, send_forward, send_backward);
        if (!r) throw std::invalid_argument("pipeline_stage_profile: no full recomputation fits");
        return r->profile;
      },
      py::arg("chain"), py::arg("parameter_bytes"), py::arg("first"), py::arg("last"),
      py::kw_only(), py::arg("recompute") = false, py::arg("send_forward") = 0.0,
      py::arg("send_backward") = 0.0,
      "The StageProfile of layers [first, last) of one micro-batch's chain: store everything, or "
      "(recompute) keep the input and output and replay the whole segment with autograd before "
      "its backward, as torch.utils.checkpoint does. ValueError on invalid input.");

  py::class_<ModelStateBytes>(m, "ModelStateBytes", "One device's model state in bytes.")
      .def_readonly("parameters", &ModelStateBytes::parameters)
      .def_readonly("gradients", &ModelStateBytes::gradients)
      .def_readonly("optimizer", &ModelStateBytes::optimizer)
      .def_readonly("total", &ModelStateBytes::total);

  m.def(
      "model_state_bytes",
      [](std::int64_t parameters, std::int64_t degree, const std::string& sharding, Bytes parameter,
         Bytes gradient, Bytes optimizer) {
        return model_state_bytes(parameters, degree, parse_data_parallel_sharding(sharding),
                                 {parameter, gradient, optimizer});
      },
      py::arg("parameters"), py::arg("degree"), py::arg("sharding") = "none", py::kw_only(),
      py::arg("parameter") = 2, py::arg("gradient") = 2, py::arg("optimizer") = 12,
      "Per-device model state under data parallelism: sharding 'none' (DDP), 'zero1', 'zero2', "
      "'zero3' or 'fsdp' (Rajbhandari et al., SC 2020). ValueError on invalid input.");
}

}  // namespace memsched::python
