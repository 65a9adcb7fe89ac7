// Plan an optimal Revolve schedule, replay it through the simulator, and print its figures.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  const memsched::Chain chain(1000);                                // 1000 steps, uf = ub = 1
  const memsched::Platform platform = memsched::Platform::ram(10);  // 10 slots, x_0's included
  std::optional<memsched::RevolveStream> schedule = memsched::revolve(chain, platform);
  const memsched::SimulationReport report = memsched::simulate(*schedule, chain, platform);
  std::cout << "forward steps " << report.forward_steps
            << " (optimal: " << memsched::revolve_forward_steps(1000, 10) << ")\n"
            << "peak slots    " << report.levels[0].peak << " of 10\n"
            << "cost          " << report.cost << "\n";
}
