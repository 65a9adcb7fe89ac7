// The 1D viscous Burgers equation with a hand-written adjoint: the executor's reference test
// problem (docs/executor.md), used by the examples, tests, benchmarks and `memsched run`.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "memsched/chain/chain.hpp"

namespace memsched {

/// u_t + (u^2/2)_x = nu u_xx on the periodic [0, 1) with nx cells (dx = 1/nx), explicit Euler
/// and central differences (docs/theory/test-problems.md):
///   u+_i = u_i - c (u_{i+1}^2/2 - u_{i-1}^2/2) + d (u_{i+1} - 2 u_i + u_{i-1}),
///   c = dt / (2 dx), d = nu dt / dx^2,
/// with dt = min(0.4 dx / max|u_0|, 0.25 dx^2 / nu) fixed at construction (the adjoint treats
/// dt as a constant). u_0(x) = 0.5 + 0.5 sin 2 pi x; J = dx/2 sum (u_n - u_obs)^2 with
/// u_obs = 0.5 + 0.3 sin(2 pi x + 0.3). Controls: u_0 and nu.
///
/// A model for run_adjoint (model.hpp): State is u, Adjoint holds u-bar and nu-bar. The step
/// and its adjoint are out-of-line functions, so a recomputed step is bitwise identical to the
/// first (no call-site-dependent contraction). Throws std::invalid_argument if nx < 3 or
/// viscosity <= 0.
class Burgers {
 public:
  using State = std::vector<double>;
  struct Adjoint {
    std::vector<double> u;  ///< dJ/du_k
    double viscosity = 0;   ///< dJ/dnu, summed over the steps reversed so far
    auto checkpoint_fields() { return std::tie(u, viscosity); }
    auto checkpoint_fields() const { return std::tie(u, viscosity); }
  };

  Burgers(std::int64_t num_cells, double viscosity);

  std::int64_t num_cells() const noexcept { return nx_; }
  double viscosity() const noexcept { return viscosity_; }
  double time_step() const noexcept { return dt_; }
  State initial_state() const;

  void advance(State& u, Step k) const;
  void seed(const State& u_n, Adjoint& y) const;
  void reverse(const State& u_k, Adjoint& y, Step k) const;

  /// J(u_n).
  double objective(const State& u_n) const;
  /// J after n steps from u0 with viscosity nu (same dt): for finite differences and Taylor
  /// tests. Uses a copy of the model with the new viscosity.
  double objective_after(const State& u0, double viscosity, Step n) const;

 private:
  std::int64_t nx_;
  double viscosity_;
  double dx_;
  double dt_;
  std::vector<double> observed_;
  mutable std::vector<double> scratch_;
};

/// Store-all reference: runs n steps keeping every state, then the adjoint; the gradient every
/// schedule must reproduce bit for bit. Returns J.
double burgers_gradient_store_all(const Burgers& model, const Burgers::State& u0, Step n,
                                  Burgers::Adjoint& y);

}  // namespace memsched
