// Uses the installed demo problems: the Burgers gradient under Revolve equals store-all's.
#include <memsched/exec/model.hpp>
#include <memsched/plan/revolve.hpp>
#include <memsched/problems/burgers.hpp>

int main() {
  using namespace memsched;
  const Burgers model(32, 0.01);
  const Burgers::State u0 = model.initial_state();
  Burgers::Adjoint reference, gradient;
  burgers_gradient_store_all(model, u0, 50, reference);
  RevolveStream schedule(50, 5);
  auto ram = make_ram_storage(5 * 1024);
  run_adjoint(model, u0, gradient, schedule, 50, {ram.get()});
  return gradient.u == reference.u && gradient.viscosity == reference.viscosity ? 0 : 1;
}
