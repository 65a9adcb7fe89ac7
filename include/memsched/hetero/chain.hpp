// Heterogeneous chains (neural networks): per-stage times and byte sizes, rotor's cost model.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace memsched {

/// A number of bytes.
using Bytes = std::int64_t;

/// The largest size or budget accepted (2^50 bytes = 1 PiB), so that sums over a chain of up to
/// kMaxStages stages fit in 64 bits with room to spare.
inline constexpr Bytes kMaxBytes = Bytes{1} << 50;
/// The largest number of stages a HeteroChain accepts.
inline constexpr std::int64_t kMaxStages = std::int64_t{1} << 20;

/// One stage F_i of a heterogeneous chain (rotor's per-stage measurements, Beaumont et al.,
/// RR-9302 / arXiv 1911.13214). Times are in any unit (seconds usually), sizes in bytes.
struct HeteroStage {
  double forward_time = 0.0;   ///< u_f^i: one forward of the stage (with or without autograd)
  double backward_time = 0.0;  ///< u_b^i: its backward
  Bytes input_bytes = 0;       ///< ω_x^i: size of its input x_i (and of the gradient ȳ_i)
  /// ω_x̄^{i+1}: what a recording forward (autograd on) leaves allocated: its output x_{i+1}
  /// plus every tensor saved for the backward (the stage's "tape" x̄_{i+1}). At least the size of
  /// the output (the next stage's input_bytes, or the loss's).
  Bytes tape_bytes = 0;
  Bytes forward_tmp_bytes = 0;   ///< o_f^i: transient extra memory during its forward
  Bytes backward_tmp_bytes = 0;  ///< o_b^i: transient extra memory during its backward
  /// Transient extra memory during a *recording* forward (Fe_i), when it differs from
  /// forward_tmp_bytes, which then bounds the forwards without autograd (CF_i, Fn_i) only.
  /// Neural-network stages often need less while recording: what a forward without autograd
  /// holds as temporaries (Dropout's mask, an activation's input) is part of the tape when
  /// autograd saves it. Empty: forward_tmp_bytes for every forward (rotor's model).
  std::optional<Bytes> recording_tmp_bytes = std::nullopt;

  /// The temporary of a recording forward: recording_tmp_bytes, else forward_tmp_bytes.
  Bytes recording_tmp() const noexcept { return recording_tmp_bytes.value_or(forward_tmp_bytes); }

  friend bool operator==(const HeteroStage& a, const HeteroStage& b) noexcept;
};

/// The loss at the end of the chain: it reads x_L and produces the gradient ȳ_L (same size).
struct HeteroLoss {
  Bytes input_bytes = 0;         ///< ω_x^L: size of x_L, the last stage's output
  double time = 0.0;             ///< time of the loss and its gradient together (rotor: 0)
  Bytes backward_tmp_bytes = 0;  ///< o_b^L: transient memory while computing ȳ_L

  friend bool operator==(const HeteroLoss& a, const HeteroLoss& b) noexcept;
};

/// A chain of L stages F_0 ... F_{L-1} followed by a loss, to be run forward and then
/// backpropagated under a memory budget in bytes (docs/heterogeneous.md has the memory rules).
///
/// Index conventions follow rotor's arrays: x(i) = size of x_i for 0 <= i <= L (x_L is the loss
/// input); tape(i) = size of x̄_{i+1}, produced by a recording forward of stage i.
/// Throws std::invalid_argument if there is no stage, more than kMaxStages, a time is negative
/// or not finite, a size is negative or above kMaxBytes, or a tape is smaller than the output it
/// contains.
class HeteroChain {
 public:
  HeteroChain(std::vector<HeteroStage> stages, HeteroLoss loss);

  /// L, the number of stages before the loss.
  std::int64_t num_stages() const noexcept { return static_cast<std::int64_t>(stages_.size()); }
  const std::vector<HeteroStage>& stages() const noexcept { return stages_; }
  const HeteroStage& stage(std::int64_t i) const;
  const HeteroLoss& loss() const noexcept { return loss_; }

  /// Size of x_i (0 <= i <= L), which is also the size of the gradient ȳ_i.
  Bytes x(std::int64_t i) const;
  /// Size of x̄_{i+1}, the tape of stage i (0 <= i < L).
  Bytes tape(std::int64_t i) const;

  /// Time of one backpropagation without any recomputation: every forward once, every
  /// backward once, the loss once. No schedule is faster.
  double minimal_makespan() const noexcept;
  /// The peak of the schedule that records every stage and recomputes nothing
  /// (Fe_0 ... Fe_{L-1} L B_{L-1} ... B_0): the budget from which more memory buys nothing.
  Bytes store_all_peak() const noexcept;

  friend bool operator==(const HeteroChain& a, const HeteroChain& b) noexcept;

 private:
  std::vector<HeteroStage> stages_;
  HeteroLoss loss_;
};

}  // namespace memsched
