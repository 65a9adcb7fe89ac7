// Per-stage cost profiles of a pipeline, derived from replays of the stage's own schedule.
#include "memsched/pipeline/pipeline_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "memsched/hetero/persistent.hpp"

namespace memsched {

namespace {

constexpr Bytes kSaturated = std::numeric_limits<Bytes>::max();

Bytes add_sat(Bytes a, Bytes b) { return a > kSaturated - b ? kSaturated : a + b; }

Bytes mul_sat(Bytes a, std::int64_t n) {
  if (n == 0 || a == 0) return 0;
  return a > kSaturated / n ? kSaturated : a * n;
}

std::string num(double v) {
  std::string s = std::to_string(v);
  return s;
}

Bytes ceil_div(Bytes a, std::int64_t m) { return a / m + (a % m != 0 ? 1 : 0); }

struct Replay {
  double forward_time = 0.0;
  double backward_time = 0.0;
  Bytes kept = 0;
  Bytes forward_peak = 0;
  Bytes backward_peak = 0;
};

// Replays `ops` (a complete schedule of the segment chain) and splits it at `split`: ops before
// it form the pipeline's forward operation, the rest its backward operation.
Replay replay(const HeteroSchedule& ops, std::size_t split, const HeteroChain& segment) {
  std::vector<HeteroTimelineEntry> timeline;
  simulate(ops, segment, kSaturated, {}, &timeline);
  Replay r;
  for (std::size_t k = 0; k < timeline.size(); ++k) {
    const double t = timeline[k].end - timeline[k].start;
    if (k < split) {
      r.forward_time += t;
      r.forward_peak = std::max(r.forward_peak, timeline[k].peak_bytes);
      r.kept = timeline[k].after_bytes;
    } else {
      r.backward_time += t;
      r.backward_peak = std::max(r.backward_peak, timeline[k].peak_bytes);
    }
  }
  return r;
}

Bytes segment_parameters(const std::vector<Bytes>& parameter_bytes, std::int64_t first,
                         std::int64_t last) {
  Bytes sum = 0;
  for (std::int64_t i = first; i < last; ++i) {
    sum = add_sat(sum, parameter_bytes.at(static_cast<std::size_t>(i)));
  }
  return sum;
}

void check_sends(double send_forward, double send_backward, const char* function) {
  if (!std::isfinite(send_forward) || send_forward < 0 || !std::isfinite(send_backward) ||
      send_backward < 0) {
    throw std::invalid_argument(std::string(function) +
                                ": send times must be finite and >= 0, got " + num(send_forward) +
                                " and " + num(send_backward));
  }
}

}  // namespace

bool operator==(const StageProfile& a, const StageProfile& b) noexcept {
  return a.forward_time == b.forward_time && a.backward_time == b.backward_time &&
         a.kept_bytes == b.kept_bytes && a.forward_peak_bytes == b.forward_peak_bytes &&
         a.backward_peak_bytes == b.backward_peak_bytes && a.model_bytes == b.model_bytes;
}

std::string to_string(PipelineScheduleKind kind) {
  switch (kind) {
    case PipelineScheduleKind::kGPipe:
      return "gpipe";
    case PipelineScheduleKind::kOneFOneB:
      return "1f1b";
    case PipelineScheduleKind::kInterleaved:
      return "interleaved";
  }
  return "unknown";
}

PipelineScheduleKind parse_pipeline_schedule_kind(const std::string& text) {
  for (PipelineScheduleKind k : {PipelineScheduleKind::kGPipe, PipelineScheduleKind::kOneFOneB,
                                 PipelineScheduleKind::kInterleaved}) {
    if (to_string(k) == text) return k;
  }
  throw std::invalid_argument(
      "parse_pipeline_schedule_kind: expected gpipe, 1f1b or interleaved, "
      "got '" +
      text + "'");
}

void validate_pipeline(const std::vector<StageProfile>& stages, const PipelineConfig& config,
                       const char* function) {
  const std::string f(function);
  if (config.num_devices < 1 || config.num_devices > kMaxPipelineDevices) {
    throw std::invalid_argument(f + ": num_devices must be in [1, " +
                                std::to_string(kMaxPipelineDevices) + "], got " +
                                std::to_string(config.num_devices));
  }
  if (config.micro_batches < 1 || config.micro_batches > kMaxMicroBatches) {
    throw std::invalid_argument(f + ": micro_batches must be in [1, " +
                                std::to_string(kMaxMicroBatches) + "], got " +
                                std::to_string(config.micro_batches));
  }
  if (config.chunks < 1 || config.chunks > kMaxPipelineDevices) {
    throw std::invalid_argument(f + ": chunks must be in [1, " +
                                std::to_string(kMaxPipelineDevices) + "], got " +
                                std::to_string(config.chunks));
  }
  if (config.kind != PipelineScheduleKind::kInterleaved && config.chunks != 1) {
    throw std::invalid_argument(f + ": chunks must be 1 for " + to_string(config.kind) + ", got " +
                                std::to_string(config.chunks));
  }
  if (config.kind == PipelineScheduleKind::kInterleaved &&
      config.micro_batches % config.num_devices != 0) {
    throw std::invalid_argument(f + ": interleaved needs micro_batches a multiple of " +
                                "num_devices, got " + std::to_string(config.micro_batches) +
                                " and " + std::to_string(config.num_devices));
  }
  const std::int64_t virtual_stages = config.num_devices * config.chunks;
  if (virtual_stages > kMaxPipelineDevices * 16 ||
      2 * virtual_stages * config.micro_batches > kMaxPipelineOps) {
    throw std::invalid_argument(f + ": " + std::to_string(2 * virtual_stages) + " x " +
                                std::to_string(config.micro_batches) +
                                " operations exceed the limit of " +
                                std::to_string(kMaxPipelineOps));
  }
  if (static_cast<std::int64_t>(stages.size()) != virtual_stages) {
    throw std::invalid_argument(f + ": expected " + std::to_string(virtual_stages) +
                                " stage profiles (devices x chunks), got " +
                                std::to_string(stages.size()));
  }
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageProfile& s = stages[k];
    const std::string at = f + ": stage " + std::to_string(k) + ": ";
    for (double t : {s.forward_time, s.backward_time}) {
      if (!std::isfinite(t) || t < 0) {
        throw std::invalid_argument(at + "times must be finite and >= 0, got " + num(t));
      }
    }
    for (Bytes b : {s.kept_bytes, s.forward_peak_bytes, s.backward_peak_bytes, s.model_bytes}) {
      if (b < 0 || b > kMaxBytes) {
        throw std::invalid_argument(at + "sizes must be in [0, 2^50], got " + std::to_string(b));
      }
    }
    if (s.forward_peak_bytes < s.kept_bytes || s.backward_peak_bytes < s.kept_bytes) {
      throw std::invalid_argument(at + "peaks must be at least kept_bytes " +
                                  std::to_string(s.kept_bytes));
    }
  }
  // Every device total the simulator forms must fit in 64 bits.
  long double total = 0;
  for (const StageProfile& s : stages) {
    total +=
        static_cast<long double>(s.model_bytes) + static_cast<long double>(s.forward_peak_bytes) +
        static_cast<long double>(s.backward_peak_bytes) +
        static_cast<long double>(s.kept_bytes) * static_cast<long double>(config.micro_batches);
  }
  if (total > static_cast<long double>(std::int64_t{1} << 62)) {
    throw std::invalid_argument(f + ": the sizes sum beyond 2^62 bytes");
  }
}

std::int64_t in_flight_micro_batches(PipelineScheduleKind kind, std::int64_t num_devices,
                                     std::int64_t stage, std::int64_t micro_batches) {
  if (num_devices < 1 || stage < 0 || stage >= num_devices || micro_batches < 1) {
    throw std::invalid_argument(
        "in_flight_micro_batches: need 0 <= stage < num_devices and "
        "micro_batches >= 1, got stage " +
        std::to_string(stage) + " of " + std::to_string(num_devices) +
        ", m = " + std::to_string(micro_batches));
  }
  switch (kind) {
    case PipelineScheduleKind::kGPipe:
      return micro_batches;
    case PipelineScheduleKind::kOneFOneB:
      return std::min(num_devices - stage, micro_batches);
    case PipelineScheduleKind::kInterleaved:
      break;
  }
  throw std::invalid_argument("in_flight_micro_batches: no closed form for interleaved");
}

Bytes stage_peak_bytes(const StageProfile& p, std::int64_t in_flight) {
  const Bytes op = std::max(p.forward_peak_bytes, p.backward_peak_bytes);
  return add_sat(
      add_sat(p.model_bytes, mul_sat(p.kept_bytes, std::max<std::int64_t>(in_flight - 1, 0))), op);
}

PipelineModel::PipelineModel(HeteroChain chain, std::vector<Bytes> parameter_bytes)
    : chain_(std::move(chain)), parameter_bytes_(std::move(parameter_bytes)) {
  if (static_cast<std::int64_t>(parameter_bytes_.size()) != chain_.num_stages()) {
    throw std::invalid_argument("PipelineModel: expected " + std::to_string(chain_.num_stages()) +
                                " parameter_bytes (one per layer), got " +
                                std::to_string(parameter_bytes_.size()));
  }
  for (std::size_t i = 0; i < parameter_bytes_.size(); ++i) {
    if (parameter_bytes_[i] < 0 || parameter_bytes_[i] > kMaxBytes) {
      throw std::invalid_argument("PipelineModel: parameter_bytes[" + std::to_string(i) +
                                  "] must be in [0, 2^50], got " +
                                  std::to_string(parameter_bytes_[i]));
    }
  }
}

HeteroChain micro_batch_chain(const HeteroChain& chain, std::int64_t m) {
  if (m < 1) {
    throw std::invalid_argument("micro_batch_chain: micro_batches must be >= 1, got " +
                                std::to_string(m));
  }
  const double dm = static_cast<double>(m);
  std::vector<HeteroStage> stages = chain.stages();
  for (HeteroStage& s : stages) {
    s.forward_time /= dm;
    s.backward_time /= dm;
    s.input_bytes = ceil_div(s.input_bytes, m);
    s.tape_bytes = ceil_div(s.tape_bytes, m);
    s.forward_tmp_bytes = ceil_div(s.forward_tmp_bytes, m);
    s.backward_tmp_bytes = ceil_div(s.backward_tmp_bytes, m);
    if (s.recording_tmp_bytes) s.recording_tmp_bytes = ceil_div(*s.recording_tmp_bytes, m);
  }
  HeteroLoss loss = chain.loss();
  loss.input_bytes = ceil_div(loss.input_bytes, m);
  loss.time /= dm;
  loss.backward_tmp_bytes = ceil_div(loss.backward_tmp_bytes, m);
  return HeteroChain(std::move(stages), loss);
}

HeteroChain segment_chain(const HeteroChain& chain, std::int64_t first, std::int64_t last) {
  if (first < 0 || first >= last || last > chain.num_stages()) {
    throw std::out_of_range(
        "segment_chain: need 0 <= first < last <= " + std::to_string(chain.num_stages()) +
        ", got [" + std::to_string(first) + ", " + std::to_string(last) + ")");
  }
  std::vector<HeteroStage> stages(chain.stages().begin() + first, chain.stages().begin() + last);
  HeteroLoss loss;
  if (last == chain.num_stages()) {
    loss = chain.loss();
  } else {
    loss.input_bytes = chain.x(last);
  }
  return HeteroChain(std::move(stages), loss);
}

StageProfile store_all_profile(const HeteroChain& chain, const std::vector<Bytes>& parameter_bytes,
                               std::int64_t first, std::int64_t last, double send_forward,
                               double send_backward) {
  check_sends(send_forward, send_backward, "store_all_profile");
  const HeteroChain segment = segment_chain(chain, first, last);
  const std::int64_t k = segment.num_stages();
  HeteroSchedule ops;
  for (std::int64_t i = 0; i < k; ++i) ops.push_back(HeteroOp::forward_enable(i));
  ops.push_back(HeteroOp::loss(k));
  for (std::int64_t i = k - 1; i >= 0; --i) ops.push_back(HeteroOp::backward(i));
  const Replay r = replay(ops, static_cast<std::size_t>(k), segment);
  StageProfile p;
  p.forward_time = r.forward_time + (last < chain.num_stages() ? send_forward : 0.0);
  p.backward_time = r.backward_time + (first > 0 ? send_backward : 0.0);
  p.kept_bytes = r.kept;
  p.forward_peak_bytes = r.forward_peak;
  p.backward_peak_bytes = r.backward_peak;
  p.model_bytes = segment_parameters(parameter_bytes, first, last);
  return p;
}

std::optional<RecomputeStage> recompute_profile(const HeteroChain& chain,
                                                const std::vector<Bytes>& parameter_bytes,
                                                std::int64_t first, std::int64_t last,
                                                Bytes backward_budget, std::int64_t num_units,
                                                double send_forward, double send_backward) {
  check_sends(send_forward, send_backward, "recompute_profile");
  if (num_units < 1) {
    throw std::invalid_argument("recompute_profile: num_units must be >= 1, got " +
                                std::to_string(num_units));
  }
  const HeteroChain segment = segment_chain(chain, first, last);
  const std::int64_t k = segment.num_stages();
  const Bytes received = segment.x(k);
  if (backward_budget < received) return std::nullopt;
  PersistentOptions options;
  options.num_units = num_units;
  std::optional<HeteroPlan> plan = plan_persistent(segment, backward_budget - received, options);
  if (!plan) return std::nullopt;
  // Forward operation: CF_0 keeps the stage input (the checkpoint), Fn_i drop theirs.
  HeteroSchedule ops;
  ops.push_back(HeteroOp::forward_check(0));
  for (std::int64_t i = 1; i < k; ++i) ops.push_back(HeteroOp::forward_nograd(i));
  ops.push_back(HeteroOp::free_input(k));
  ops.insert(ops.end(), plan->schedule.begin(), plan->schedule.end());
  const Replay r = replay(ops, static_cast<std::size_t>(k), segment);
  RecomputeStage out;
  out.backward_schedule = std::move(plan->schedule);
  StageProfile& p = out.profile;
  p.forward_time = r.forward_time + (last < chain.num_stages() ? send_forward : 0.0);
  p.backward_time = r.backward_time + (first > 0 ? send_backward : 0.0);
  p.kept_bytes = r.kept;
  p.forward_peak_bytes = r.forward_peak;
  // The received gradient is held from before the output is dropped until the plan's end.
  p.backward_peak_bytes = add_sat(std::max(r.kept, r.backward_peak), received);
  p.model_bytes = segment_parameters(parameter_bytes, first, last);
  return out;
}

}  // namespace memsched
