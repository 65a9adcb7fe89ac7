// Pipeline-parallel training of a heterogeneous chain: schedules, per-stage cost profiles and
// the model (a chain plus the model-state bytes of each layer) that the planner splits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched {

/// The order in which each device runs the forwards and backwards of the micro-batches.
enum class PipelineScheduleKind : std::uint8_t {
  kGPipe,        ///< fill-drain: every forward, then every backward (Huang et al., NeurIPS 2019)
  kOneFOneB,     ///< PipeDream-Flush: warm-up forwards, then one forward one backward
                 ///< (Narayanan et al., ICML 2021)
  kInterleaved,  ///< interleaved 1F1B with v model chunks per device (Narayanan et al., SC 2021)
};

/// "gpipe", "1f1b", "interleaved".
std::string to_string(PipelineScheduleKind kind);
/// Inverse of to_string; throws std::invalid_argument naming the text otherwise.
PipelineScheduleKind parse_pipeline_schedule_kind(const std::string& text);

/// What one pipeline stage costs for one micro-batch. Times in any unit, sizes in bytes.
/// Memory of a device = model_bytes + kept_bytes of every micro-batch whose forward is done and
/// whose backward is not, + (during an operation) that operation's peak minus its own kept part.
struct StageProfile {
  double forward_time = 0.0;   ///< the forward operation, sending its output included
  double backward_time = 0.0;  ///< the backward operation (recomputation and sending included)
  Bytes kept_bytes = 0;        ///< held from the end of the forward to the end of the backward
  /// Peak of the forward operation for its own micro-batch (>= kept_bytes).
  Bytes forward_peak_bytes = 0;
  /// Peak of the backward operation for its own micro-batch, its kept bytes and the received
  /// gradient included (>= kept_bytes).
  Bytes backward_peak_bytes = 0;
  Bytes model_bytes = 0;  ///< parameters, gradients and optimizer state of the stage

  friend bool operator==(const StageProfile& a, const StageProfile& b) noexcept;
};

/// How the pipeline runs: P devices, m micro-batches, a schedule, v chunks per device.
struct PipelineConfig {
  std::int64_t num_devices = 1;    ///< P >= 1
  std::int64_t micro_batches = 1;  ///< m >= 1
  PipelineScheduleKind kind = PipelineScheduleKind::kOneFOneB;
  /// v: model chunks per device; 1 for GPipe and 1F1B. With kInterleaved virtual stage k runs
  /// on device k mod P, and m must be a multiple of P (Megatron-LM's order).
  std::int64_t chunks = 1;
};

/// The largest P, m and v accepted, and the largest number of operations simulated (P·v·m·2).
inline constexpr std::int64_t kMaxPipelineDevices = 4096;
inline constexpr std::int64_t kMaxMicroBatches = 1 << 16;
inline constexpr std::int64_t kMaxPipelineOps = std::int64_t{1} << 24;

/// Throws std::invalid_argument naming `function` and the bad value if a profile has a negative
/// or non-finite time, a size outside [0, kMaxBytes], a peak below its kept bytes, if the config
/// is out of range (see PipelineConfig), or if stages.size() != P·v.
void validate_pipeline(const std::vector<StageProfile>& stages, const PipelineConfig& config,
                       const char* function);

/// The largest number of micro-batches stage `stage` (0-based, the first virtual stage is 0)
/// holds at once under GPipe (m) or 1F1B (min(P − s, m)); the simulator measures the same.
/// Throws std::invalid_argument for kInterleaved or out-of-range arguments.
std::int64_t in_flight_micro_batches(PipelineScheduleKind kind, std::int64_t num_devices,
                                     std::int64_t stage, std::int64_t micro_batches);

/// model_bytes + (n − 1)·kept_bytes + max(forward_peak_bytes, backward_peak_bytes): the peak of
/// a device running one stage with at most n micro-batches in flight (the simulator's peak for
/// GPipe and 1F1B with n from in_flight_micro_batches). Saturates at INT64_MAX.
Bytes stage_peak_bytes(const StageProfile& profile, std::int64_t in_flight);

/// A chain to split over devices: a heterogeneous chain (per layer times and sizes for one
/// mini-batch, docs/heterogeneous.md) and the model-state bytes of each layer (parameters,
/// gradients, optimizer state; 16 bytes per parameter with mixed-precision Adam).
/// Throws std::invalid_argument if parameter_bytes does not have one entry per layer or an
/// entry is outside [0, kMaxBytes].
class PipelineModel {
 public:
  PipelineModel(HeteroChain chain, std::vector<Bytes> parameter_bytes);

  const HeteroChain& chain() const noexcept { return chain_; }
  const std::vector<Bytes>& parameter_bytes() const noexcept { return parameter_bytes_; }
  std::int64_t num_layers() const noexcept { return chain_.num_stages(); }

 private:
  HeteroChain chain_;
  std::vector<Bytes> parameter_bytes_;
};

/// The chain cut into m micro-batches under the linear model: every time and every activation
/// size (inputs, tapes, temporaries, the loss's) divided by m, sizes rounded up. Throws
/// std::invalid_argument if m < 1.
HeteroChain micro_batch_chain(const HeteroChain& chain, std::int64_t micro_batches);

/// Layers [first, last) as a chain of their own. Its loss stands for the next device: input
/// x_last, no time, no temporary (receiving the gradient ȳ_last), except for the last segment,
/// which keeps the chain's loss. Throws std::out_of_range unless 0 <= first < last <= L.
HeteroChain segment_chain(const HeteroChain& chain, std::int64_t first, std::int64_t last);

/// The profile of layers [first, last) run without recomputation: the forward operation records
/// every layer (Fe), the backward operation runs the loss stand-in and every B. Kept: x_first
/// and every tape. Peaks come from replaying that schedule (simulate on the segment chain).
/// send_forward / send_backward: time to send the output (if last < L) and the input
/// gradient (if first > 0), added to the operation that sends (blocking sends).
StageProfile store_all_profile(const HeteroChain& chain, const std::vector<Bytes>& parameter_bytes,
                               std::int64_t first, std::int64_t last, double send_forward = 0.0,
                               double send_backward = 0.0);

/// A stage that recomputes: the forward operation runs without autograd (CF, Fn) and keeps its
/// input x_first and its output; the backward operation drops the output and runs the fastest
/// persistent schedule (plan_persistent, Beaumont et al. 2019) of the segment in
/// `backward_budget` bytes, after receiving the gradient (which it holds throughout, so the
/// plan gets backward_budget − x_last; conservative by at most one boundary tensor).
struct RecomputeStage {
  StageProfile profile;
  HeteroSchedule backward_schedule;  ///< the persistent schedule run by the backward operation
};

/// nullopt if no persistent schedule of the segment fits in backward_budget − x_last bytes with
/// `num_units` memory units. Throws as segment_chain, and std::invalid_argument if num_units < 1.
std::optional<RecomputeStage> recompute_profile(const HeteroChain& chain,
                                                const std::vector<Bytes>& parameter_bytes,
                                                std::int64_t first, std::int64_t last,
                                                Bytes backward_budget, std::int64_t num_units,
                                                double send_forward = 0.0,
                                                double send_backward = 0.0);

}  // namespace memsched
