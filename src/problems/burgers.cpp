// The Burgers test problem: step, adjoint step, objective.
#include "memsched/problems/burgers.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

Burgers::Burgers(std::int64_t num_cells, double viscosity) : nx_(num_cells), viscosity_(viscosity) {
  if (num_cells < 3) {
    throw std::invalid_argument("Burgers: needs at least 3 cells, got " +
                                std::to_string(num_cells));
  }
  if (!(viscosity > 0) || !std::isfinite(viscosity)) {
    throw std::invalid_argument("Burgers: viscosity must be positive, got " +
                                std::to_string(viscosity));
  }
  dx_ = 1.0 / double(nx_);
  const State u0 = initial_state();
  double umax = 0;
  for (double v : u0) umax = std::max(umax, std::fabs(v));
  // A fixed dt from the stability limits of both terms (a fixed guess blew up at nx = 256).
  dt_ = std::min(0.4 * dx_ / umax, 0.25 * dx_ * dx_ / viscosity_);
  observed_.resize(static_cast<std::size_t>(nx_));
  for (std::int64_t i = 0; i < nx_; ++i) {
    observed_[static_cast<std::size_t>(i)] = 0.5 + 0.3 * std::sin(2 * kPi * double(i) * dx_ + 0.3);
  }
  scratch_.resize(static_cast<std::size_t>(nx_));
}

Burgers::State Burgers::initial_state() const {
  State u(static_cast<std::size_t>(nx_));
  for (std::int64_t i = 0; i < nx_; ++i) {
    u[static_cast<std::size_t>(i)] = 0.5 + 0.5 * std::sin(2 * kPi * double(i) * dx_);
  }
  return u;
}

void Burgers::advance(State& u, Step /*k*/) const {
  const std::size_t n = u.size();
  const double c = dt_ / (2 * dx_);
  const double d = viscosity_ * dt_ / (dx_ * dx_);
  std::vector<double>& next = scratch_;
  next.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double left = u[i == 0 ? n - 1 : i - 1];
    const double right = u[i + 1 == n ? 0 : i + 1];
    next[i] = u[i] - c * (0.5 * right * right - 0.5 * left * left) + d * (right - 2 * u[i] + left);
  }
  u.swap(next);
}

void Burgers::seed(const State& u_n, Adjoint& y) const {
  y.u.resize(u_n.size());
  for (std::size_t i = 0; i < u_n.size(); ++i) y.u[i] = dx_ * (u_n[i] - observed_[i]);
  y.viscosity = 0;
}

void Burgers::reverse(const State& u, Adjoint& y, Step /*k*/) const {
  // Transpose of the step's Jacobian (docs/theory/test-problems.md): u-bar_j = (1 - 2d) ub+_j
  // + (-c u_j + d) ub+_{j-1} + (c u_j + d) ub+_{j+1}; nu-bar += sum ub+_i dt/dx^2 (lap u)_i.
  const std::size_t n = u.size();
  const double c = dt_ / (2 * dx_);
  const double d = viscosity_ * dt_ / (dx_ * dx_);
  const double e = dt_ / (dx_ * dx_);
  std::vector<double>& bar = scratch_;
  bar.resize(n);
  double nu_bar = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t l = j == 0 ? n - 1 : j - 1;
    const std::size_t r = j + 1 == n ? 0 : j + 1;
    bar[j] = y.u[j] * (1 - 2 * d) + y.u[l] * (-c * u[j] + d) + y.u[r] * (c * u[j] + d);
    nu_bar += y.u[j] * e * (u[r] - 2 * u[j] + u[l]);
  }
  y.viscosity += nu_bar;
  y.u.swap(bar);
}

double Burgers::objective(const State& u_n) const {
  double sum = 0;
  for (std::size_t i = 0; i < u_n.size(); ++i) {
    const double diff = u_n[i] - observed_[i];
    sum += diff * diff;
  }
  return 0.5 * dx_ * sum;
}

double Burgers::objective_after(const State& u0, double viscosity, Step n) const {
  Burgers other = *this;
  other.viscosity_ = viscosity;
  State u = u0;
  for (Step k = 0; k < n; ++k) other.advance(u, k);
  return other.objective(u);
}

double burgers_gradient_store_all(const Burgers& model, const Burgers::State& u0, Step n,
                                  Burgers::Adjoint& y) {
  std::vector<Burgers::State> states(static_cast<std::size_t>(n) + 1);
  states[0] = u0;
  for (Step k = 0; k < n; ++k) {
    states[static_cast<std::size_t>(k + 1)] = states[static_cast<std::size_t>(k)];
    model.advance(states[static_cast<std::size_t>(k + 1)], k);
  }
  model.seed(states[static_cast<std::size_t>(n)], y);
  for (Step k = n - 1; k >= 0; --k) model.reverse(states[static_cast<std::size_t>(k)], y, k);
  return model.objective(states[static_cast<std::size_t>(n)]);
}

}  // namespace memsched
