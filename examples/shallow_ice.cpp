// The shallow-ice toy: gradient of the final ice volume with respect to the initial thickness
// and the accumulation field, checked by a Taylor test.
#include "memsched/problems/shallow_ice.hpp"

#include <cmath>
#include <cstdio>

#include "memsched/exec/model.hpp"
#include "memsched/plan/revolve.hpp"

int main() {
  using namespace memsched;
  const ShallowIce model(50);
  const ShallowIce::State h0 = model.initial_state();
  const Step n = 400;
  RevolveStream schedule(n, 8);
  auto ram = make_ram_storage(8 * 512);
  ShallowIce::Adjoint g;
  run_adjoint(model, h0, g, schedule, n, {ram.get()});

  // Direction: raise the accumulation uniformly and thicken the ice in the middle.
  std::vector<double> dm(h0.size(), 1.0);
  std::vector<double> dh(h0.size(), 0.0);
  for (std::size_t i = 1; i + 1 < dh.size(); ++i)
    dh[i] = std::sin(3.14159265358979 * double(i) / 50.0);
  double slope = 0;
  for (std::size_t i = 0; i < dm.size(); ++i)
    slope += g.accumulation[i] * dm[i] + g.thickness[i] * dh[i];
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
  double previous = 0;
  double rate = 0;
  std::printf("%10s %14s %6s\n", "h", "remainder", "rate");
  for (double h = 1e-3; h > 1e-4; h /= 2) {
    const double remainder = std::fabs(j(h) - j0 - h * slope);
    rate = previous > 0 ? std::log2(previous / remainder) : 0;
    std::printf("%10.3g %14.6g %6.2f\n", h, remainder, rate);
    previous = remainder;
  }
  std::printf("Taylor rate %.2f (2 expected)\n", rate);
  return rate > 1.9 ? 0 : 1;
}
