// Event simulation of GPipe, 1F1B and interleaved 1F1B iterations over per-stage profiles.
#include "memsched/pipeline/pipeline_simulate.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {

struct Op {
  std::int64_t stage = 0;
  std::int64_t micro_batch = 0;
  bool backward = false;
};

// The operations of device d in order. Interleaved follows Megatron-LM's
// forward_backward_pipelining_with_interleaving (Narayanan et al., SC 2021): the k-th forward
// of a device runs chunk (k mod P·v) / P on micro-batch (k / (P·v))·P + k mod P; backwards
// visit the chunks in reverse.
std::vector<Op> device_order(const PipelineConfig& c, std::int64_t d) {
  const std::int64_t P = c.num_devices, m = c.micro_batches, v = c.chunks;
  std::vector<Op> ops;
  ops.reserve(static_cast<std::size_t>(2 * m * v));
  auto nth = [&](std::int64_t k, bool backward) {
    if (c.kind != PipelineScheduleKind::kInterleaved) return Op{d, k, backward};
    const std::int64_t in_group = k % (P * v);
    std::int64_t chunk = in_group / P;
    if (backward) chunk = v - 1 - chunk;
    return Op{chunk * P + d, (k / (P * v)) * P + in_group % P, backward};
  };
  const std::int64_t total = m * v;
  std::int64_t warmup = total;
  if (c.kind == PipelineScheduleKind::kOneFOneB) {
    warmup = std::min(P - d - 1, m);
  } else if (c.kind == PipelineScheduleKind::kInterleaved) {
    warmup = std::min((P - d - 1) * 2 + (v - 1) * P, total);
  }
  for (std::int64_t k = 0; k < warmup; ++k) ops.push_back(nth(k, false));
  const std::int64_t steady = total - warmup;
  for (std::int64_t k = 0; k < steady; ++k) {
    ops.push_back(nth(warmup + k, false));
    ops.push_back(nth(k, true));
  }
  for (std::int64_t k = steady; k < total; ++k) ops.push_back(nth(k, true));
  return ops;
}

}  // namespace

PipelineReport simulate_pipeline(const std::vector<StageProfile>& stages,
                                 const PipelineConfig& config, std::vector<PipelineEvent>* events) {
  validate_pipeline(stages, config, "simulate_pipeline");
  const std::int64_t P = config.num_devices, m = config.micro_batches;
  const std::int64_t S = P * config.chunks;
  const double kNotYet = -1.0;
  // end times of F and B per (virtual stage, micro-batch)
  std::vector<double> f_end(static_cast<std::size_t>(S * m), kNotYet);
  std::vector<double> b_end(static_cast<std::size_t>(S * m), kNotYet);
  auto at = [m](std::int64_t s, std::int64_t mb) { return static_cast<std::size_t>(s * m + mb); };

  std::vector<std::vector<Op>> order(static_cast<std::size_t>(P));
  for (std::int64_t d = 0; d < P; ++d) order[static_cast<std::size_t>(d)] = device_order(config, d);
  std::vector<std::size_t> next(static_cast<std::size_t>(P), 0);
  std::vector<double> free_at(static_cast<std::size_t>(P), 0.0);
  std::vector<Bytes> held(static_cast<std::size_t>(P), 0);  // kept bytes of held micro-batches
  std::vector<std::int64_t> in_flight(static_cast<std::size_t>(P), 0);

  PipelineReport report;
  report.device_peak_bytes.assign(static_cast<std::size_t>(P), 0);
  report.device_busy_time.assign(static_cast<std::size_t>(P), 0.0);
  report.device_max_in_flight.assign(static_cast<std::size_t>(P), 0);
  std::vector<Bytes> model(static_cast<std::size_t>(P), 0);
  for (std::int64_t s = 0; s < S; ++s) {
    model[static_cast<std::size_t>(s % P)] += stages[static_cast<std::size_t>(s)].model_bytes;
  }
  for (std::int64_t d = 0; d < P; ++d) {
    report.device_peak_bytes[static_cast<std::size_t>(d)] = model[static_cast<std::size_t>(d)];
  }

  std::size_t remaining = 0;
  for (const auto& o : order) remaining += o.size();
  while (remaining > 0) {
    bool progress = false;
    for (std::int64_t d = 0; d < P; ++d) {
      const auto du = static_cast<std::size_t>(d);
      // Run every operation of this device whose input is ready, in order.
      while (next[du] < order[du].size()) {
        const Op& op = order[du][next[du]];
        double ready = 0.0;
        if (!op.backward) {
          if (op.stage > 0) ready = f_end[at(op.stage - 1, op.micro_batch)];
        } else {
          ready = f_end[at(op.stage, op.micro_batch)];
          if (ready >= 0 && op.stage + 1 < S) {
            const double g = b_end[at(op.stage + 1, op.micro_batch)];
            ready = g < 0 ? kNotYet : std::max(ready, g);
          }
        }
        if (ready < 0) break;
        const StageProfile& p = stages[static_cast<std::size_t>(op.stage)];
        const double start = std::max(ready, free_at[du]);
        const double end = start + (op.backward ? p.backward_time : p.forward_time);
        // Memory: the model, the kept bytes of the other held micro-batches, this op's peak.
        Bytes others = held[du];
        if (op.backward) others -= p.kept_bytes;
        const Bytes peak =
            model[du] + others + (op.backward ? p.backward_peak_bytes : p.forward_peak_bytes);
        if (op.backward) {
          held[du] -= p.kept_bytes;
          --in_flight[du];
          b_end[at(op.stage, op.micro_batch)] = end;
        } else {
          held[du] += p.kept_bytes;
          ++in_flight[du];
          f_end[at(op.stage, op.micro_batch)] = end;
        }
        report.device_max_in_flight[du] = std::max(report.device_max_in_flight[du], in_flight[du]);
        report.device_peak_bytes[du] = std::max(report.device_peak_bytes[du], peak);
        report.device_busy_time[du] += end - start;
        report.iteration_time = std::max(report.iteration_time, end);
        free_at[du] = end;
        if (events) {
          events->push_back({d, op.stage, op.micro_batch, op.backward, start, end, peak});
        }
        ++next[du];
        --remaining;
        progress = true;
      }
    }
    if (!progress) {
      throw std::logic_error("simulate_pipeline: the " + to_string(config.kind) +
                             " order deadlocks (internal error)");
    }
  }
  double busy = 0.0;
  for (double b : report.device_busy_time) busy += b;
  report.bubble_fraction = report.iteration_time > 0
                               ? 1.0 - busy / (static_cast<double>(P) * report.iteration_time)
                               : 0.0;
  return report;
}

}  // namespace memsched
