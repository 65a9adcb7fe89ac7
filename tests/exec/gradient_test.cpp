// Gradient checks through the executor: Taylor remainders converge at rate 2 and directional
// finite differences agree, for Burgers (controls u_0 and nu) and shallow ice (H_0 and the
// accumulation field M).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "burgers_support.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/problems/shallow_ice.hpp"

namespace memsched {
namespace {

std::vector<double> random_direction(std::size_t size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> d(size);
  for (double& v : d) v = uniform(rng);
  return d;
}

// Taylor remainders |J(x + h d) - J(x) - h <g, d>| for h = h0, h0/2, ...: the observed
// convergence rates between consecutive h.
std::vector<double> taylor_rates(const std::function<double(double)>& j, double j0, double slope,
                                 double h0, int count) {
  std::vector<double> remainders;
  for (int i = 0; i < count; ++i) {
    const double h = h0 / std::pow(2.0, i);
    remainders.push_back(std::fabs(j(h) - j0 - h * slope));
  }
  std::vector<double> rates;
  for (int i = 0; i + 1 < count; ++i) rates.push_back(std::log2(remainders[i] / remainders[i + 1]));
  return rates;
}

TEST(Gradient, BurgersTaylorAndFiniteDifferences) {
  const Burgers model(64, 0.01);
  const Step n = 300;
  const Burgers::State u0 = model.initial_state();
  RevolveStream schedule(n, 6);
  auto ram = testing::ram_slots(model, 6);
  Burgers::Adjoint g;
  run_adjoint(model, u0, g, schedule, n, {ram.get()});

  const std::vector<double> du = random_direction(u0.size(), 1);
  const double dnu = 0.003;
  double slope = g.viscosity * dnu;
  for (std::size_t i = 0; i < du.size(); ++i) slope += g.u[i] * du[i];
  auto j = [&](double h) {
    Burgers::State u = u0;
    for (std::size_t i = 0; i < u.size(); ++i) u[i] += h * du[i];
    return model.objective_after(u, model.viscosity() + h * dnu, n);
  };
  const double j0 = j(0);
  const std::vector<double> rates = taylor_rates(j, j0, slope, 1e-3, 4);
  EXPECT_GE(rates.back(), 1.9) << rates[0] << " " << rates[1] << " " << rates[2];
  const double h = 1e-6;
  const double fd = (j(h) - j(-h)) / (2 * h);
  EXPECT_LT(std::fabs(fd - slope) / std::fabs(slope), 1e-6) << fd << " vs " << slope;
}

TEST(Gradient, ShallowIceTaylorAndFiniteDifferences) {
  const ShallowIce model(50);
  const Step n = 400;
  const ShallowIce::State h0 = model.initial_state();
  RevolveStream schedule(n, 8);
  auto ram = make_ram_storage(8 * 1024);
  ShallowIce::Adjoint g;
  run_adjoint(model, h0, g, schedule, n, {ram.get()});

  // Store-all reference, bitwise.
  {
    ShallowIce::Adjoint reference;
    std::vector<ShallowIce::State> states(n + 1, h0);
    for (Step k = 0; k < n; ++k) {
      states[k + 1] = states[k];
      model.advance(states[k + 1], k);
    }
    model.seed(states[n], reference);
    for (Step k = n - 1; k >= 0; --k) model.reverse(states[k], reference, k);
    EXPECT_EQ(g.thickness, reference.thickness);
    EXPECT_EQ(g.accumulation, reference.accumulation);
    double minimum = 1e9;
    for (std::size_t i = 1; i + 1 < states[n].size(); ++i)
      minimum = std::min(minimum, states[n][i]);
    EXPECT_GT(minimum, 0.0);  // the ice stays positive inside: the model is smooth there
  }

  std::vector<double> dh = random_direction(h0.size(), 2);
  dh.front() = dh.back() = 0;  // the ends are fixed at 0
  const std::vector<double> dm = random_direction(h0.size(), 3);
  double slope = 0;
  for (std::size_t i = 0; i < dh.size(); ++i) {
    slope += g.thickness[i] * dh[i] + g.accumulation[i] * dm[i];
  }
  auto j = [&](double h) {
    ShallowIce perturbed = model;
    std::vector<double> m = model.accumulation();
    for (std::size_t i = 0; i < m.size(); ++i) m[i] += h * dm[i];
    perturbed.set_accumulation(m);
    ShallowIce::State x = h0;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += h * dh[i];
    for (Step k = 0; k < n; ++k) perturbed.advance(x, k);
    return perturbed.objective(x);
  };
  const double j0 = j(0);
  const std::vector<double> rates = taylor_rates(j, j0, slope, 1e-3, 4);
  EXPECT_GE(rates.back(), 1.9) << rates[0] << " " << rates[1] << " " << rates[2];
  const double h = 1e-6;
  const double fd = (j(h) - j(-h)) / (2 * h);
  EXPECT_LT(std::fabs(fd - slope) / std::fabs(slope), 1e-6) << fd << " vs " << slope;
}

}  // namespace
}  // namespace memsched
