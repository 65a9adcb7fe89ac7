// The chain to differentiate: its number of steps and the cost of each forward and adjoint step.
#pragma once

#include <cstdint>
#include <vector>

namespace memsched {

/// A step index or a count of steps. Step i maps the state x_i to x_{i+1}; its adjoint maps
/// the adjoint state after it back to the one before it and needs x_i.
using Step = std::int64_t;

/// The largest number of steps a Chain accepts (2^62): every count the planners derive from
/// it (forward steps, costs in steps) is checked against 64-bit overflow before use.
inline constexpr Step kMaxSteps = Step{1} << 62;

/// A chain of `num_steps` steps x_{i+1} = F_i(x_i), i = 0..n-1, run forward and then reversed.
///
/// Costs are in any unit of time (the CLI's `--uf`/`--ub`); they are uniform (stored once,
/// so n = 10^9 costs nothing) or given per step. Forward cost of step i is uf_i, adjoint
/// cost ub_i. Throws std::invalid_argument if n < 1, n > kMaxSteps, a cost is negative or
/// not finite, or per-step vectors are empty or of different lengths.
class Chain {
 public:
  explicit Chain(Step num_steps, double forward_cost = 1.0, double adjoint_cost = 1.0);
  Chain(std::vector<double> forward_costs, std::vector<double> adjoint_costs);

  Step num_steps() const noexcept { return num_steps_; }
  bool is_uniform() const noexcept { return forward_prefix_.empty(); }

  /// Cost of forward step i (0 <= i < n).
  double forward_cost(Step i) const;
  /// Cost of adjoint step i (0 <= i < n).
  double adjoint_cost(Step i) const;
  /// Total forward cost of steps [begin, end), O(1). Requires 0 <= begin <= end <= n.
  double forward_cost(Step begin, Step end) const;
  /// Total adjoint cost of steps [begin, end), O(1). Requires 0 <= begin <= end <= n.
  double adjoint_cost(Step begin, Step end) const;

  friend bool operator==(const Chain& a, const Chain& b) noexcept;

 private:
  Step num_steps_;
  double uniform_forward_ = 1.0;
  double uniform_adjoint_ = 1.0;
  std::vector<double> forward_prefix_;  // size n+1 when per-step, empty when uniform
  std::vector<double> adjoint_prefix_;
};

}  // namespace memsched
