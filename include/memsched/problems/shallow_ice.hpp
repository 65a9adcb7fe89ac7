// A 1D shallow-ice (SIA) toy with a hand-written adjoint: the executor's second test problem,
// with a parameter *field* (the accumulation) whose adjoint sums over the steps.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "memsched/chain/chain.hpp"

namespace memsched {

/// Nondimensional SIA on [0, 1], flat bed, Glen exponent 3 (docs/theory/test-problems.md):
///   H_t = d/dx (Gamma Hb^5 (dH/dx)^3) + M(x),  H = 0 at both ends,
/// nodes x_i = i dx (i = 0..nx), fluxes on the staggered grid with Hb the mean of the two
/// neighbours, explicit Euler with dt = 0.2 dx^2 / Gamma. H_0 = sin(pi x)^(1/2),
/// M(x) = 0.5 (1 - 0.8 x), J = dx/2 sum H_n^2. Controls: H_0 and the field M.
/// Throws std::invalid_argument if nx < 3 or Gamma <= 0.
class ShallowIce {
 public:
  using State = std::vector<double>;  ///< H at the nx + 1 nodes (ends kept at 0)
  struct Adjoint {
    std::vector<double> thickness;     ///< dJ/dH_k
    std::vector<double> accumulation;  ///< dJ/dM, summed over the steps reversed so far
    auto checkpoint_fields() { return std::tie(thickness, accumulation); }
    auto checkpoint_fields() const { return std::tie(thickness, accumulation); }
  };

  explicit ShallowIce(std::int64_t num_cells, double gamma = 1.0);

  std::int64_t num_cells() const noexcept { return nx_; }
  State initial_state() const;
  const std::vector<double>& accumulation() const noexcept { return accumulation_; }
  void set_accumulation(std::vector<double> accumulation);

  void advance(State& h, Step k) const;
  void seed(const State& h_n, Adjoint& y) const;
  void reverse(const State& h_k, Adjoint& y, Step k) const;
  double objective(const State& h_n) const;

 private:
  std::int64_t nx_;
  double gamma_;
  double dx_;
  double dt_;
  std::vector<double> accumulation_;
  mutable std::vector<double> scratch_;
};

}  // namespace memsched
