// A chain whose length is known only at the end ("run until the front has decayed"): the
// online driver stores checkpoints as it goes and reverses once the loop stops.
#include <algorithm>
#include <cstdio>

#include "memsched/exec/model.hpp"
#include "memsched/exec/online.hpp"
#include "memsched/plan/online_baselines.hpp"
#include "memsched/problems/burgers.hpp"

int main() {
  using namespace memsched;
  const Burgers model(64, 0.02);
  const Burgers::State u0 = model.initial_state();
  // Stop when the solution's range has shrunk below 0.3 (the length is a result of the run).
  auto converged = [](const Burgers::State& u, Step) {
    const auto [lo, hi] = std::minmax_element(u.begin(), u.end());
    return *hi - *lo < 0.3;
  };
  OnlinePeriodic planner(50, 8);  // a checkpoint every 50 steps, at most 8
  auto ram = make_ram_storage(8 * 576);
  Burgers::Adjoint gradient;
  const ExecutionProfile profile =
      run_adjoint_online(model, u0, gradient, planner, converged, {ram.get()});

  Burgers::Adjoint reference;
  burgers_gradient_store_all(model, u0, profile.num_steps, reference);
  std::printf("the loop stopped after %lld steps; %lld forward steps; dJ/dnu = %.17g\n",
              static_cast<long long>(profile.num_steps),
              static_cast<long long>(profile.forward_steps()), gradient.viscosity);
  return gradient.u == reference.u && gradient.viscosity == reference.viscosity ? 0 : 1;
}
