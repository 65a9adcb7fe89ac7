// The pipeline event simulator: iteration time, bubble and per-device peak memory of a schedule.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/pipeline/pipeline_model.hpp"

namespace memsched {

/// One operation of a simulated pipeline, for timelines.
struct PipelineEvent {
  std::int64_t device = 0;
  std::int64_t stage = 0;        ///< virtual stage (device + chunk·P)
  std::int64_t micro_batch = 0;  ///< 0-based
  bool backward = false;
  double start = 0.0;
  double end = 0.0;
  Bytes peak_bytes = 0;  ///< device memory during the operation, model state included
};

/// What a simulated iteration costs.
struct PipelineReport {
  double iteration_time = 0.0;   ///< when the last operation ends (optimizer step not counted)
  double bubble_fraction = 0.0;  ///< 1 − (busy time of all devices) / (P · iteration_time)
  std::vector<Bytes> device_peak_bytes;            ///< per device, model state included
  std::vector<double> device_busy_time;            ///< per device
  std::vector<std::int64_t> device_max_in_flight;  ///< most micro-batches held at once
};

/// Replays one training iteration: device d runs its operations in the order of config.kind
/// (GPipe: F_0 … F_{m−1} then B_0 … B_{m−1}; 1F1B: min(P−d−1, m) warm-up forwards, then
/// alternating F and B, then the remaining B; interleaved: Megatron-LM's order with
/// (P−d−1)·2 + (v−1)·P warm-up forwards and chunk groups of P micro-batches). An operation
/// starts when its device is free and its input has arrived: the forward of virtual stage k
/// after the forward of k−1 on the same micro-batch, the backward after its own forward and the
/// backward of k+1. Sends are part of the sender's operation time (blocking sends).
///
/// Memory of a device at an operation: model bytes of its stages + kept bytes of the other
/// micro-batches it holds + the operation's peak. With `events`, one entry per operation is
/// appended. Throws std::invalid_argument as validate_pipeline. O(P·v·m·P) time at most.
///
///     std::vector<StageProfile> stages(4, StageProfile{1, 2, 10, 10, 10, 0});
///     PipelineReport r = simulate_pipeline(stages, {4, 8, PipelineScheduleKind::kOneFOneB, 1});
///     // r.iteration_time == (8 + 4 - 1) * 3, r.device_peak_bytes == {40, 30, 20, 10}
PipelineReport simulate_pipeline(const std::vector<StageProfile>& stages,
                                 const PipelineConfig& config,
                                 std::vector<PipelineEvent>* events = nullptr);

}  // namespace memsched
