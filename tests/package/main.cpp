// Uses the installed package: plans Revolve(1000, 10) and checks its forward step count.
#include <memsched/memsched.hpp>
#include <memsched/plan/revolve.hpp>

int main() {
  memsched::RevolveStream revolve(1000, 10);
  const memsched::SimulationReport report =
      memsched::simulate(revolve, memsched::Chain(1000), memsched::Platform::ram(10));
  return report.forward_steps == 4636 ? 0 : 1;
}
