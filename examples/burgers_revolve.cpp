// Run the adjoint of 1D Burgers under Revolve with callbacks, check the gradient is bitwise the
// store-all one, and print the profile.
#include <cstdio>
#include <cstring>

#include "memsched/exec/model.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/problems/burgers.hpp"

int main() {
  using namespace memsched;
  const Burgers model(128, 0.01);  // 128 cells: a state is 1032 bytes
  const Burgers::State u0 = model.initial_state();
  const Step n = 3000;
  const std::int64_t slots = 10;

  RevolveStream schedule(n, slots);           // the plan: 10 checkpoints in RAM
  auto ram = make_ram_storage(slots * 1088);  // preallocated: 10 slots of 1032 + alignment
  Burgers::Adjoint gradient;                  // dJ/du_0 and dJ/dnu
  ExecutionProfile profile = run_adjoint(model, u0, gradient, schedule, n, {ram.get()});
  profile.problem = "burgers nx=128";
  profile.planner = "revolve(10)";
  std::printf("%s", to_text(profile).c_str());

  Burgers::Adjoint reference;
  burgers_gradient_store_all(model, u0, n, reference);
  const bool same =
      std::memcmp(gradient.u.data(), reference.u.data(), gradient.u.size() * 8) == 0 &&
      std::memcmp(&gradient.viscosity, &reference.viscosity, 8) == 0;
  std::printf("dJ/dnu = %.17g, bitwise equal to store-all: %s\n", gradient.viscosity,
              same ? "yes" : "NO");
  return same ? 0 : 1;
}
