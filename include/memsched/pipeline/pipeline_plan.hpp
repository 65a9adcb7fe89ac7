// The pipeline planner: contiguous partition, schedule, micro-batch count and per-device
// recomputation that minimise the bottleneck stage time with every device under its budget.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/hetero/schedule.hpp"
#include "memsched/pipeline/pipeline_model.hpp"
#include "memsched/pipeline/pipeline_simulate.hpp"

namespace memsched {

/// What the planner may choose from, and the devices.
struct PipelinePlanOptions {
  /// One budget per device, in bytes: P = its size. Device s runs the s-th contiguous segment.
  std::vector<Bytes> device_budget_bytes;
  /// Candidate micro-batch counts m; the model's chain describes the whole mini-batch and is
  /// divided into m equal micro-batches (micro_batch_chain).
  std::vector<std::int64_t> micro_batches = {1, 2, 4, 8};
  /// Candidate schedules (GPipe and 1F1B; the planner does not place interleaved chunks).
  std::vector<PipelineScheduleKind> kinds = {PipelineScheduleKind::kGPipe,
                                             PipelineScheduleKind::kOneFOneB};
  /// Empty, or one entry per boundary (L − 1): the time to send x_j between layers j−1 and j
  /// for the whole mini-batch (divided by m per micro-batch), once forward and once backward.
  std::vector<double> boundary_time;
  /// Allow a device to recompute its segment (with the persistent planner inside).
  bool recompute = true;
  /// Memory units of the persistent planner inside each recomputing device.
  std::int64_t num_units = 100;
  /// Refuse up front when the estimated work (elementary DP steps) exceeds this.
  double max_work = 2e11;
};

/// One device's part of a plan.
struct DevicePlan {
  std::int64_t first_layer = 0;  ///< segment [first_layer, last_layer)
  std::int64_t last_layer = 0;
  bool recompute = false;
  HeteroSchedule backward_schedule;  ///< the persistent schedule of a recomputing device
  StageProfile profile;              ///< per micro-batch
  std::int64_t in_flight = 0;        ///< micro-batches held at once
  Bytes peak_bytes = 0;              ///< stage_peak_bytes(profile, in_flight) <= its budget
};

/// A plan and its simulation.
struct PipelinePlan {
  PipelineScheduleKind kind = PipelineScheduleKind::kOneFOneB;
  std::int64_t micro_batches = 1;
  std::vector<DevicePlan> devices;
  double bottleneck_time = 0.0;  ///< max over devices of forward_time + backward_time
  PipelineReport report;         ///< simulate_pipeline of the profiles
};

/// The estimated work of plan_pipeline (elementary steps), compared with options.max_work.
double estimate_pipeline_work(std::int64_t num_layers, const PipelinePlanOptions& options);

/// For one schedule and one micro-batch count: the contiguous partition and per-device choice
/// (store everything, or recompute with the fastest persistent schedule that fits) minimising
/// the bottleneck max_s (f_s + b_s), every device's peak (stage_peak_bytes with the in-flight
/// count of its position) within its budget. Exact for that objective over all partitions and
/// those two choices per device: the dynamic program D[s][j] = min_i max(D[s−1][i], τ*(i, j, s))
/// over prefixes (the chains-on-chains recurrence with a position-dependent memory test),
/// O(P·L²) stage evaluations; then, among the partitions with that bottleneck, the one with the
/// smallest sum of stage times (a second pass of the same shape), which shortens fill and drain.
/// nullopt if nothing fits. Throws std::invalid_argument on bad
/// options (as plan_pipeline), and for kInterleaved.
std::optional<PipelinePlan> plan_partition(const PipelineModel& model, PipelineScheduleKind kind,
                                           std::int64_t micro_batches,
                                           const PipelinePlanOptions& options);

/// plan_partition for every candidate schedule and micro-batch count; returns the plan whose
/// simulated iteration time is smallest (ties: the earlier candidate, kinds outer, m inner), or
/// nullopt if none fits. Throws std::invalid_argument if there are no budgets, fewer layers
/// than devices, a budget or m out of range, boundary_time of the wrong size or with a negative
/// or non-finite entry, num_units < 1, or if the estimated work exceeds options.max_work (the
/// message gives the estimate).
///
///     PipelinePlanOptions o;
///     o.device_budget_bytes = {1000, 1000};
///     auto plan = plan_pipeline(model, o);  // plan->devices[s].first_layer ..., plan->report
std::optional<PipelinePlan> plan_pipeline(const PipelineModel& model,
                                          const PipelinePlanOptions& options);

}  // namespace memsched
