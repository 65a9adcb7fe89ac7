// The shallow-ice test problem: step, adjoint step, objective.
#include "memsched/problems/shallow_ice.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

ShallowIce::ShallowIce(std::int64_t num_cells, double gamma) : nx_(num_cells), gamma_(gamma) {
  if (num_cells < 3) {
    throw std::invalid_argument("ShallowIce: needs at least 3 cells, got " +
                                std::to_string(num_cells));
  }
  if (!(gamma > 0) || !std::isfinite(gamma)) {
    throw std::invalid_argument("ShallowIce: gamma must be positive, got " + std::to_string(gamma));
  }
  dx_ = 1.0 / double(nx_);
  dt_ = 0.2 * dx_ * dx_ / gamma_;
  accumulation_.resize(static_cast<std::size_t>(nx_) + 1);
  for (std::int64_t i = 0; i <= nx_; ++i) {
    accumulation_[static_cast<std::size_t>(i)] = 0.5 * (1 - 0.8 * double(i) * dx_);
  }
  scratch_.resize(static_cast<std::size_t>(nx_) + 1);
}

ShallowIce::State ShallowIce::initial_state() const {
  State h(static_cast<std::size_t>(nx_) + 1, 0.0);
  for (std::int64_t i = 1; i < nx_; ++i) {
    h[static_cast<std::size_t>(i)] = std::sqrt(std::sin(kPi * double(i) * dx_));
  }
  return h;
}

void ShallowIce::set_accumulation(std::vector<double> accumulation) {
  if (accumulation.size() != accumulation_.size()) {
    throw std::invalid_argument("ShallowIce::set_accumulation: expected " +
                                std::to_string(accumulation_.size()) + " values, got " +
                                std::to_string(accumulation.size()));
  }
  accumulation_ = std::move(accumulation);
}

void ShallowIce::advance(State& h, Step /*k*/) const {
  const std::size_t n = h.size() - 1;  // nodes 0..n
  std::vector<double>& next = scratch_;
  next.assign(n + 1, 0.0);
  double flux_left = 0;  // q_{i-1/2}
  for (std::size_t j = 0; j < n; ++j) {
    // q_{j+1/2} = Gamma Hb^5 s^3, Hb = (H_j + H_{j+1})/2, s = (H_{j+1} - H_j)/dx.
    const double hb = 0.5 * (h[j] + h[j + 1]);
    const double s = (h[j + 1] - h[j]) / dx_;
    const double hb2 = hb * hb;
    const double flux = gamma_ * hb2 * hb2 * hb * s * s * s;
    if (j >= 1) next[j] = h[j] + dt_ * ((flux - flux_left) / dx_ + accumulation_[j]);
    flux_left = flux;
  }
  h.swap(next);
}

void ShallowIce::seed(const State& h_n, Adjoint& y) const {
  y.thickness.resize(h_n.size());
  for (std::size_t i = 0; i < h_n.size(); ++i) y.thickness[i] = dx_ * h_n[i];
  y.accumulation.assign(h_n.size(), 0.0);
}

void ShallowIce::reverse(const State& h, Adjoint& y, Step /*k*/) const {
  const std::size_t n = h.size() - 1;
  std::vector<double>& bar = scratch_;
  bar.assign(n + 1, 0.0);
  // H+_i = H_i + dt/dx (q_{i+1/2} - q_{i-1/2}) + dt M_i for interior i; the ends stay 0.
  for (std::size_t i = 1; i < n; ++i) {
    bar[i] += y.thickness[i];
    y.accumulation[i] += dt_ * y.thickness[i];
  }
  for (std::size_t j = 0; j < n; ++j) {
    // q_{j+1/2} enters H+_j with +dt/dx (if j is interior) and H+_{j+1} with -dt/dx.
    double q_bar = 0;
    if (j >= 1) q_bar += dt_ / dx_ * y.thickness[j];
    if (j + 1 < n) q_bar -= dt_ / dx_ * y.thickness[j + 1];
    const double hb = 0.5 * (h[j] + h[j + 1]);
    const double s = (h[j + 1] - h[j]) / dx_;
    const double hb2 = hb * hb;
    const double d_hb = gamma_ * 5 * hb2 * hb2 * s * s * s;  // dq/dHb
    const double d_s = gamma_ * hb2 * hb2 * hb * 3 * s * s;  // dq/ds
    bar[j] += q_bar * (0.5 * d_hb - d_s / dx_);
    bar[j + 1] += q_bar * (0.5 * d_hb + d_s / dx_);
  }
  y.thickness.swap(bar);
}

double ShallowIce::objective(const State& h_n) const {
  double sum = 0;
  for (double v : h_n) sum += v * v;
  return 0.5 * dx_ * sum;
}

}  // namespace memsched
