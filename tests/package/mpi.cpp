// Uses the installed MPI component: a collectively planned Revolve run of a scalar model on
// every rank (here one, without mpirun) gives the store-all gradient.
#include <mpi.h>

#include <memsched/mpi/executor.hpp>

struct Halving {
  using State = double;
  using Adjoint = double;
  void advance(double& x, memsched::Step) { x = 0.5 * x + 0.25 * x * x; }
  void seed(const double& x, double& y) { y = x; }
  void reverse(const double& x, double& y, memsched::Step) { y *= 0.5 + 0.5 * x; }
};

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 1;
  {
    using namespace memsched;
    Halving model;
    auto ram = make_ram_storage(4 * 64);
    mpi::StepCosts costs;
    costs.state_bytes = sizeof(double);
    const std::optional<mpi::CollectivePlan> plan =
        mpi::plan_collective(MPI_COMM_WORLD, "revolve", 20, costs, {ram.get()});
    double gradient = 0;
    if (plan) mpi::run_adjoint(MPI_COMM_WORLD, model, 0.9, gradient, *plan, {ram.get()});
    std::vector<double> states(21, 0.9);
    for (int k = 0; k < 20; ++k) {
      states[k + 1] = states[k];
      model.advance(states[k + 1], k);
    }
    double reference = 0;
    model.seed(states[20], reference);
    for (int k = 19; k >= 0; --k) model.reverse(states[k], reference, k);
    status = plan && gradient == reference ? 0 : 1;
  }
  MPI_Finalize();
  return status;
}
