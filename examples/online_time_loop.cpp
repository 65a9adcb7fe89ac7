// A time loop that stops on a convergence test, checkpointed online with 8 slots: the planner
// decides what to keep as steps arrive, then reverses what it holds; a simulator follows along.
#include <iostream>

#include "memsched/memsched.hpp"

int main() {
  // A toy "solver": x_{i+1} = x_i / 2 + 1 converges to 2; stop when |x - 2| < 1e-6.
  double x = 100.0;
  memsched::OnlineCheckpointer planner(/*slots=*/8);
  memsched::Schedule schedule;  // what an executor would run, recorded to replay it below
  while (true) {
    for (const memsched::Action& a : planner.begin_step()) schedule.push_back(a);
    const memsched::Step i = planner.steps_begun() - 1;
    x = x / 2 + 1;  // step i
    schedule.push_back(memsched::Action::forward(i, i + 1));
    if (x > 2 - 1e-6 && x < 2 + 1e-6) break;
  }
  const memsched::Step n = planner.steps_begun();
  std::unique_ptr<memsched::ActionStream> reversal = planner.finish();
  while (std::optional<memsched::Action> a = reversal->next()) schedule.push_back(*a);

  const memsched::SimulationReport report =
      memsched::simulate(schedule, memsched::Chain(n), memsched::Platform::ram(8));
  std::cout << "converged after " << n << " steps\n"
            << "forward steps   " << report.forward_steps
            << " (offline Revolve: " << memsched::revolve_forward_steps(n, 8) << ")\n"
            << "peak slots      " << report.levels[0].peak << " of 8\n";
}
