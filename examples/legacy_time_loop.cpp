// Keep an existing time loop and its state variable: an ActionCursor says which step to run
// next and does every checkpoint store and restore on that variable.
#include <cstdio>
#include <vector>

#include "memsched/exec/cursor.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/problems/burgers.hpp"

int main() {
  using namespace memsched;
  const Burgers model(64, 0.02);
  const Step n = 500;
  std::vector<double> u = model.initial_state();  // the legacy code's own state
  Burgers::Adjoint ub;                            // and its own adjoint

  PeriodicStream schedule(n, 25, 21);  // a checkpoint every 25 steps, 21 slots
  auto ram = make_ram_storage(21 * 576);
  ActionCursor<std::vector<double>> cursor(u, schedule, n, {ram.get()});
  while (std::optional<StepWork> work = cursor.next()) {
    switch (work->kind) {
      case StepWork::Kind::kAdvance:  // u holds x_k; make it x_{k+1}
        model.advance(u, work->step);
        break;
      case StepWork::Kind::kSeed:  // u holds x_n
        model.seed(u, ub);
        break;
      case StepWork::Kind::kReverse:  // u holds x_k; do not change it
        model.reverse(u, ub, work->step);
        break;
      case StepWork::Kind::kRecord:  // split mode only
        break;
    }
  }
  Burgers::Adjoint reference;
  burgers_gradient_store_all(model, model.initial_state(), n, reference);
  std::printf("forward steps %lld, dJ/dnu = %.17g (store-all %.17g)\n",
              static_cast<long long>(cursor.profile().forward_steps()), ub.viscosity,
              reference.viscosity);
  return ub.u == reference.u && ub.viscosity == reference.viscosity ? 0 : 1;
}
