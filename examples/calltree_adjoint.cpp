// A multi-procedure adjoint written the way source-transformation AD tools write it (explicit
// push/pop stack, joint and split variants of every call), profiled with CallScope, planned
// on its call tree and run under several assignments: gradients must be bitwise equal and the
// measured peak stack must equal the model's prediction.
//
// The program has the call structure of a shallow-ice model: a time loop of `steps` calls to
// time_step, each calling driving_stress, velocity_solve (with `iterations` inner
// picard_iteration calls) and thickness_update. The "physics" are simple nonlinear stencils
// on a periodic grid of `cells` values; every statement overwrites the whole state, so its
// recording pushes the old state (8 x cells bytes) and its adjoint pops it.
//
// Usage: example_calltree_adjoint [cells=4000] [steps=12] [iterations=4] [profile.json]
// (the last argument writes the recorded profile for `memsched calltree profile`).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/io.hpp"
#include "memsched/calltree/plan.hpp"
#include "memsched/calltree/profiler.hpp"
#include "memsched/calltree/site_profile.hpp"

namespace {

using memsched::Bytes;
using memsched::CallIndex;
using memsched::CallPhase;
using memsched::CallScope;
using memsched::JointSet;

// One statement x_new = g(x_old): a stencil of kind 0, 1 or 2 with coefficient a.
struct Statement {
  int kind;
  double a;
};

struct Procedure;

// A body item: a statement or a call.
struct Item {
  const Statement* statement;
  const Procedure* call;
};

struct Procedure {
  const char* name;
  std::vector<Item> body;
  CallIndex size = 1;  // dynamic calls in one call of it, itself included
};

void apply(const Statement& s, std::vector<double>& x, std::vector<double>& old) {
  old = x;
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double left = old[(i + n - 1) % n];
    const double right = old[(i + 1) % n];
    const double v = old[i];
    if (s.kind == 0) x[i] = v + s.a * std::sin(right);
    if (s.kind == 1) x[i] = v + s.a * std::tanh(left - v);
    if (s.kind == 2) x[i] = v * (1 - s.a) + s.a * v * v / (1 + v * v);
  }
}

// xb <- (dg/dx at old)^T xb, in a fixed order so every run rounds the same way.
void adjoint(const Statement& s, const std::vector<double>& old, std::vector<double>& xb,
             std::vector<double>& out) {
  const std::size_t n = old.size();
  out.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t l = (i + n - 1) % n;
    const std::size_t r = (i + 1) % n;
    const double v = old[i];
    if (s.kind == 0) {
      out[i] += xb[i];
      out[r] += s.a * std::cos(old[r]) * xb[i];
    } else if (s.kind == 1) {
      const double t = std::tanh(old[l] - v);
      const double d = s.a * (1 - t * t);
      out[i] += (1 - d) * xb[i];
      out[l] += d * xb[i];
    } else {
      const double q = 1 + v * v;
      out[i] += ((1 - s.a) + s.a * 2 * v / (q * q)) * xb[i];
    }
  }
  xb.swap(out);
}

class Adjoint {
 public:
  Adjoint(const Procedure& root, std::size_t cells, JointSet joint)
      : root_(root), joint_(std::move(joint)), cells_(cells) {}

  // Runs the adjoint from x0; returns the gradient of J = 0.5 |x_end|^2 with respect to x0.
  std::vector<double> run(std::vector<double> x) {
    x_ = std::move(x);
    record(root_, 0);
    xb_ = x_;
    reverse(root_, 0);
    return xb_;
  }

  // A plain run of the whole program, under kPlain scopes (for the profile's plain times).
  void plain_run(std::vector<double> x) {
    x_ = std::move(x);
    plain(root_);
  }

  Bytes peak_bytes() const { return peak_; }

 private:
  void push_state() {
    stack_.insert(stack_.end(), x_.begin(), x_.end());
    peak_ = std::max(peak_, static_cast<Bytes>(stack_.size() * sizeof(double)));
  }
  void pop_state() {
    x_.assign(stack_.end() - static_cast<std::ptrdiff_t>(cells_), stack_.end());
    stack_.resize(stack_.size() - cells_);
  }

  void plain(const Procedure& p) {
    CallScope scope(p.name, CallPhase::kPlain);
    for (const Item& item : p.body) {
      if (item.statement) {
        apply(*item.statement, x_, old_);
      } else {
        plain(*item.call);
      }
    }
  }

  // The forward sweep of p (Tapenade's _FWD / the first half of _B).
  void record(const Procedure& p, CallIndex id) {
    CallScope scope(p.name, CallPhase::kRecord);
    scope.snapshot(static_cast<Bytes>(cells_ * sizeof(double)));
    CallIndex child = id + 1;
    for (const Item& item : p.body) {
      if (item.statement) {
        push_state();
        memsched::tape_pushed(static_cast<Bytes>(cells_ * sizeof(double)));
        apply(*item.statement, x_, old_);
      } else {
        if (joint_[static_cast<std::size_t>(child)]) {
          push_state();  // snapshot, then a plain run
          plain(*item.call);
        } else {
          record(*item.call, child);
        }
        child += item.call->size;
      }
    }
  }

  // The backward sweep of p (Tapenade's _BWD).
  void reverse(const Procedure& p, CallIndex id) {
    CallScope scope(p.name, CallPhase::kReverse);
    CallIndex child = id + p.size;
    for (auto it = p.body.rbegin(); it != p.body.rend(); ++it) {
      if (it->statement) {
        pop_state();
        adjoint(*it->statement, x_, xb_, out_);
      } else {
        child -= it->call->size;
        if (joint_[static_cast<std::size_t>(child)]) {
          pop_state();  // restore the snapshot, re-record, reverse at once
          record(*it->call, child);
        }
        reverse(*it->call, child);
      }
    }
  }

  const Procedure& root_;
  JointSet joint_;
  std::size_t cells_;
  std::vector<double> x_, xb_, old_, out_, stack_;
  Bytes peak_ = 0;
};

CallIndex count_calls(Procedure& p) {
  p.size = 1;
  for (const Item& item : p.body) {
    if (item.call) p.size += item.call->size;
  }
  return p.size;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t cells = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 4000;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 12;
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 4;
  if (cells < 3 || steps < 1 || iterations < 1) {
    std::fprintf(stderr, "usage: example_calltree_adjoint [cells>=3] [steps>=1] [iterations>=1]\n");
    return 2;
  }
  const Statement s0{0, 0.05}, s1{2, 0.1}, s2{1, 0.2}, s3{2, 0.05}, s4{0, 0.02}, s5{1, 0.1},
      s6{0, 0.03}, s7{2, 0.02}, s8{2, 0.01};
  Procedure stress{"driving_stress", {{&s0, nullptr}, {&s1, nullptr}}};
  Procedure picard{"picard_iteration", {{&s2, nullptr}}};
  Procedure solve{"velocity_solve", {{&s3, nullptr}}};
  for (int k = 0; k < iterations; ++k) solve.body.push_back({nullptr, &picard});
  solve.body.push_back({&s4, nullptr});
  Procedure thickness{"thickness_update", {{&s5, nullptr}, {&s6, nullptr}, {&s7, nullptr}}};
  Procedure step{"time_step",
                 {{&s8, nullptr}, {nullptr, &stress}, {nullptr, &solve}, {nullptr, &thickness}}};
  Procedure driver{"adjoint_driver", {}};
  for (int k = 0; k < steps; ++k) driver.body.push_back({nullptr, &step});
  for (Procedure* p : {&stress, &picard, &solve, &thickness, &step, &driver}) count_calls(*p);
  const auto n = static_cast<std::size_t>(driver.size);

  std::vector<double> x0(cells);
  for (std::size_t i = 0; i < cells; ++i) x0[i] = std::sin(0.01 * static_cast<double>(i)) + 0.5;

  // 1. Profile a store-all run (every call split) and a plain run, after one warm-up run of
  //    the same object (the first run pays for page faults while its stack grows).
  Adjoint profiled(driver, cells, JointSet(n, false));
  profiled.run(x0);
  double recorded_seconds = 0;
  memsched::CallTree tree = [&] {
    memsched::CallRecorder recorder;
    const double start = memsched::thread_cpu_seconds();
    profiled.run(x0);
    recorded_seconds = memsched::thread_cpu_seconds() - start;
    profiled.plain_run(x0);
    return recorder.tree();
  }();
  if (argc > 4) {
    std::ofstream out(argv[4]);
    memsched::write_calltree_json(out, tree);
  }
  if (static_cast<std::size_t>(tree.num_calls()) != n) {
    std::fprintf(stderr, "profile has %lld calls, expected %zu\n",
                 static_cast<long long>(tree.num_calls()), n);
    return 1;
  }

  // 2. Assignments: store-all, all joint (Tapenade's default), the profiler's recommendation
  //    and the optimum under the all-joint peak.
  const JointSet all_joint = memsched::all_joint(tree);
  const Bytes budget = memsched::evaluate_calltree(tree, all_joint).peak;
  const memsched::SiteRecommendation recommended =
      memsched::recommend_splits(tree, all_joint, budget);
  memsched::CallTreePlanOptions options;
  const memsched::CallTreePlan optimum = memsched::plan_calltree(tree, budget, options);
  struct Case {
    const char* name;
    JointSet joint;
  };
  std::vector<Case> cases{{"store-all", JointSet(n, false)},
                          {"all-joint", all_joint},
                          {"recommended", recommended.joint},
                          {"optimum", memsched::joint_set(tree, optimum.best.joint)}};

  std::printf("calls %zu, cells %zu, budget %lld bytes (all-joint peak), optimum %s\n", n, cells,
              static_cast<long long>(budget), optimum.optimal ? "proven" : "heuristic");
  std::printf("%-12s %6s %14s %14s %12s %12s\n", "assignment", "joint", "peak predicted",
              "peak measured", "time model", "time run");
  std::vector<double> reference;
  std::vector<double> measured;
  bool ok = true;
  for (const Case& c : cases) {
    const memsched::CallTreeCost predicted = memsched::evaluate_calltree(tree, c.joint);
    Adjoint adjoint(driver, cells, c.joint);
    adjoint.run(x0);  // warm-up
    // Best of 3 runs of thread CPU time.
    double best = 1e300;
    std::vector<double> gradient;
    for (int r = 0; r < 3; ++r) {
      const double start = memsched::thread_cpu_seconds();
      gradient = adjoint.run(x0);
      best = std::min(best, memsched::thread_cpu_seconds() - start);
    }
    if (reference.empty()) reference = gradient;
    measured.push_back(best);
    const bool same = gradient == reference;  // bitwise: every element compares equal
    const bool peak_ok = adjoint.peak_bytes() == predicted.peak;
    ok = ok && same && peak_ok;
    std::printf("%-12s %6zu %14lld %14lld %12.4f %12.4f%s%s\n", c.name,
                memsched::joint_calls(c.joint).size(), static_cast<long long>(predicted.peak),
                static_cast<long long>(adjoint.peak_bytes()), predicted.time, best,
                same ? "" : "  GRADIENT DIFFERS", peak_ok ? "" : "  PEAK DIFFERS");
  }
  std::printf("profiled store-all run %.4f s vs %.4f s without a recorder (%+.1f %%)\n",
              recorded_seconds, measured[0], 100 * (recorded_seconds / measured[0] - 1));
  std::printf("measured speed-up at the all-joint peak: recommended %.3fx, optimum %.3fx\n",
              measured[1] / measured[2], measured[1] / measured[3]);
  std::printf("recommended split sites:");
  for (const std::string& s : recommended.split_sites) std::printf(" %s", s.c_str());
  std::printf("\n");
  return ok ? 0 : 1;
}
