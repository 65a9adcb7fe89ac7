// ADOL-C computes the adjoint of each step: the step is taped once, and every reverse step
// replays the tape at the checkpointed state (zos_forward) and runs it backwards
// (fos_reverse). memsched decides which states exist; the AD tool never sees the schedule.
#include <adolc/adolc.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "memsched/exec/model.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/problems/burgers.hpp"

namespace {

// One Burgers step for any scalar type (double, or adouble while taping).
template <typename T>
void burgers_step(const std::vector<T>& u, std::vector<T>& out, T nu, double dt, double dx) {
  const std::size_t n = u.size();
  const double c = dt / (2 * dx);
  const T d = nu * (dt / (dx * dx));
  for (std::size_t i = 0; i < n; ++i) {
    const T& left = u[i == 0 ? n - 1 : i - 1];
    const T& right = u[i + 1 == n ? 0 : i + 1];
    out[i] = u[i] - c * (0.5 * right * right - 0.5 * left * left) + d * (right - 2.0 * u[i] + left);
  }
}

// A model whose per-step adjoint is ADOL-C's. The viscosity is an independent of the tape (a
// constant component of the input), so its adjoint comes out of fos_reverse too.
class AdolcBurgers {
 public:
  using State = std::vector<double>;
  using Adjoint = memsched::Burgers::Adjoint;

  AdolcBurgers(const memsched::Burgers& reference, short tag)
      : reference_(&reference), tag_(tag), nx_(static_cast<int>(reference.num_cells())) {
    tape(reference.initial_state());
  }

  void advance(State& u, memsched::Step) const {
    std::vector<double> out(u.size());
    burgers_step(u, out, reference_->viscosity(), reference_->time_step(), dx());
    u.swap(out);
  }
  void seed(const State& u, Adjoint& y) const { reference_->seed(u, y); }
  void reverse(const State& u, Adjoint& y, memsched::Step) {
    std::vector<double> x(u.begin(), u.end());
    x.push_back(reference_->viscosity());
    std::vector<double> out(static_cast<std::size_t>(nx_));
    // rc < 0: a branch on an active value went the other way; the tape must be redone here.
    if (zos_forward(tag_, nx_, nx_ + 1, 1, x.data(), out.data()) < 0) {
      tape(u);
      zos_forward(tag_, nx_, nx_ + 1, 1, x.data(), out.data());
      retapes_ += 1;
    }
    std::vector<double> bar(static_cast<std::size_t>(nx_) + 1);
    fos_reverse(tag_, nx_, nx_ + 1, y.u.data(), bar.data());
    y.viscosity += bar.back();
    bar.pop_back();
    y.u.swap(bar);
  }
  int retapes() const { return retapes_; }

 private:
  double dx() const { return 1.0 / nx_; }
  void tape(const State& at) {
    trace_on(tag_, 1);
    std::vector<adouble> u(at.size());
    std::vector<adouble> out(at.size());
    adouble nu;
    for (std::size_t i = 0; i < at.size(); ++i) u[i] <<= at[i];
    nu <<= reference_->viscosity();
    burgers_step(u, out, nu, reference_->time_step(), dx());
    std::vector<double> ignored(at.size());
    for (std::size_t i = 0; i < at.size(); ++i) out[i] >>= ignored[i];
    trace_off();
  }

  const memsched::Burgers* reference_;
  short tag_;
  int nx_;
  int retapes_ = 0;
};

}  // namespace

int main() {
  using namespace memsched;
  const Burgers burgers(64, 0.01);
  const Step n = 400;
  AdolcBurgers model(burgers, 1);
  const std::vector<double> u0 = burgers.initial_state();

  // Two different schedules: the ADOL-C gradient must be bitwise the same under both.
  Burgers::Adjoint by_revolve;
  RevolveStream revolve(n, 6);
  auto ram = make_ram_storage(400 * 576);
  run_adjoint(model, u0, by_revolve, revolve, n, {ram.get()});
  Burgers::Adjoint by_store_all;
  PeriodicStream store_all(n, 1, n);
  run_adjoint(model, u0, by_store_all, store_all, n, {ram.get()});
  const bool bitwise = by_revolve.u == by_store_all.u &&
                       std::memcmp(&by_revolve.viscosity, &by_store_all.viscosity, 8) == 0;

  // Against the hand-written adjoint (different rounding order: close, not bitwise).
  Burgers::Adjoint hand;
  burgers_gradient_store_all(burgers, u0, n, hand);
  double worst = std::fabs(by_revolve.viscosity - hand.viscosity) / std::fabs(hand.viscosity);
  for (std::size_t i = 0; i < hand.u.size(); ++i) {
    worst =
        std::max(worst, std::fabs(by_revolve.u[i] - hand.u[i]) / (std::fabs(hand.u[i]) + 1e-300));
  }

  // Taylor test in the viscosity direction.
  const double j0 = burgers.objective_after(u0, burgers.viscosity(), n);
  double previous = 0;
  double rate = 0;
  for (double h = 1e-4; h > 1e-5; h /= 2) {
    const double r = std::fabs(burgers.objective_after(u0, burgers.viscosity() + h, n) - j0 -
                               h * by_revolve.viscosity);
    if (previous > 0) rate = std::log2(previous / r);
    previous = r;
  }
  std::printf(
      "ADOL-C per-step adjoint: bitwise equal across schedules: %s; max relative "
      "difference to the hand adjoint %.2e; Taylor rate %.2f; retapes %d\n",
      bitwise ? "yes" : "NO", worst, rate, model.retapes());
  return bitwise && worst < 1e-10 && rate > 1.9 ? 0 : 1;
}
