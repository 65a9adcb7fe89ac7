// A time loop nested in a call tree and reversed by Revolve, written the way source-
// transformation AD tools write adjoints (one explicit push/pop stack, joint and split
// variants of each call): under every joint/split choice and several slot counts the gradient
// must be bitwise equal to a store-all reversal, and the measured peak stack and the number
// of plain time steps must equal the call-tree model's loop-node formulas.
//
// main calls time_loop, a loop node of `steps` iterations; each iteration runs one statement
// of its own, then calls stress (2 statements) and relax (3 statements). A statement
// overwrites the whole state of `cells` doubles, so recording it pushes the old state
// (8 x cells bytes); a snapshot or a Revolve slot is one state (8 x cells bytes).
//
// Usage: example_calltree_loop_adjoint [cells=2000] [steps=12]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "memsched/calltree/evaluate.hpp"
#include "memsched/calltree/io.hpp"
#include "memsched/plan/revolve.hpp"

namespace {

using memsched::Action;
using memsched::ActionKind;
using memsched::Bytes;

// One statement x_new = g(x_old): a periodic stencil of kind 0, 1 or 2 with coefficient a.
struct Statement {
  int kind;
  double a;
};

using Body = std::vector<Statement>;

const Body kStepOwn{{0, 0.05}};
const Body kStress{{1, 0.2}, {2, 0.1}};
const Body kRelax{{0, 0.03}, {1, 0.1}, {2, 0.05}};

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

// Which calls are joint: the loop itself (in main), stress and relax (in each iteration).
struct Choice {
  bool loop, stress, relax;
};

class Adjoint {
 public:
  Adjoint(Choice choice, std::int64_t steps, std::int64_t slots)
      : choice_(choice), steps_(steps), slots_(slots) {}

  // The gradient of J = 0.5 |x_N|^2 with respect to x_0. With slots = 0: store-all (every
  // iteration recorded in the forward sweep, no Revolve), the reference.
  std::vector<double> run(std::vector<double> x) {
    x_ = std::move(x);
    // Rec(main): main has no statements of its own.
    if (choice_.loop) {
      push(x_);  // the loop's snapshot: x_0
      for (std::int64_t i = 0; i < steps_; ++i) plain_step();
    } else {
      record_loop();
    }
    xb_ = x_;  // dJ/dx_N
    // Bwd(main).
    if (choice_.loop) {
      pop(x_);
      record_loop();
    }
    reverse_loop();
    if (!stack_.empty()) std::abort();
    return xb_;
  }

  Bytes peak() const { return peak_; }
  std::int64_t plain_steps() const { return plain_steps_; }

 private:
  void push(const std::vector<double>& v) {
    stack_.insert(stack_.end(), v.begin(), v.end());
    peak_ = std::max(peak_, static_cast<Bytes>(stack_.size() * sizeof(double)));
  }
  void pop(std::vector<double>& v) {
    v.assign(stack_.end() - static_cast<std::ptrdiff_t>(x_.size()), stack_.end());
    stack_.resize(stack_.size() - x_.size());
  }
  void look(std::vector<double>& v) const {
    v.assign(stack_.end() - static_cast<std::ptrdiff_t>(x_.size()), stack_.end());
  }

  void plain(const Body& body) {
    for (const Statement& s : body) apply(s, x_, old_);
  }
  void record(const Body& body) {
    for (const Statement& s : body) {
      push(x_);
      apply(s, x_, old_);
    }
  }
  void reverse(const Body& body) {
    for (auto it = body.rbegin(); it != body.rend(); ++it) {
      pop(old_);
      adjoint(*it, old_, xb_, scratch_);
    }
  }

  // One iteration of the loop body: plain, recorded (Rec) and reversed (Bwd), with stress and
  // relax joint (snapshot, plain run; later restore, record, reverse) or split.
  void plain_step() {
    ++plain_steps_;
    plain(kStepOwn);
    plain(kStress);
    plain(kRelax);
  }
  void record_step() {
    record(kStepOwn);
    const std::pair<bool, const Body*> calls[] = {{choice_.stress, &kStress},
                                                  {choice_.relax, &kRelax}};
    for (const auto& [joint, body] : calls) {
      if (joint) {
        push(x_);
        plain(*body);
      } else {
        record(*body);
      }
    }
  }
  void reverse_step() {
    const std::pair<bool, const Body*> calls[] = {{choice_.relax, &kRelax},
                                                  {choice_.stress, &kStress}};
    for (const auto& [joint, body] : calls) {
      if (joint) {
        pop(x_);
        record(*body);
      }
      reverse(*body);
    }
    reverse(kStepOwn);
  }

  // Rec(loop) and Bwd(loop): Revolve's actions, the forward sweep up to EndForward in Rec.
  void record_loop() {
    if (slots_ == 0) {
      for (std::int64_t i = 0; i < steps_; ++i) record_step();
      return;
    }
    stream_.emplace(steps_, slots_);
    drive(true);
  }
  void reverse_loop() {
    if (slots_ == 0) {
      for (std::int64_t i = 0; i < steps_; ++i) reverse_step();
      return;
    }
    drive(false);
    stream_.reset();
  }
  void drive(bool forward_sweep) {
    while (const std::optional<Action> a = stream_->next()) {
      switch (a->kind) {
        case ActionKind::kForward:
          if (a->record()) {
            record_step();
          } else {
            for (auto i = a->begin; i < a->end; ++i) plain_step();
          }
          break;
        case ActionKind::kReverse:
          reverse_step();
          break;
        case ActionKind::kCopy:
          if (a->to == memsched::kWork) {
            look(x_);  // restore the top slot, keep it
          } else {
            push(x_);  // store the current state in a slot
          }
          break;
        case ActionKind::kMove:
          pop(x_);  // restore the top slot for the last time
          break;
        case ActionKind::kEndForward:
          if (forward_sweep) return;
          break;
        case ActionKind::kEndReverse:
          return;
        case ActionKind::kFree:
          std::abort();
      }
    }
  }

  Choice choice_;
  std::int64_t steps_;
  std::int64_t slots_;
  std::optional<memsched::RevolveStream> stream_;
  std::vector<double> x_, xb_, old_, scratch_, stack_;
  Bytes peak_ = 0;
  std::int64_t plain_steps_ = 0;
};

// The call tree of the program, with the loop's slot count.
memsched::CallTree model(std::size_t cells, std::int64_t steps, std::int64_t slots) {
  const auto state = static_cast<Bytes>(cells * sizeof(double));
  const std::string s = std::to_string(state);
  return memsched::read_calltree_json(
      R"({"id": "main", "time": 0, "calls": [{"id": "time_loop", "time": 1, "tape_bytes": )" + s +
      R"(, "snapshot_bytes": )" + s + R"(, "loop": {"iterations": )" + std::to_string(steps) +
      R"(, "snapshots": )" + std::to_string(slots) + R"(}, "calls": [
        {"id": "stress", "time": 2, "tape_bytes": )" +
      std::to_string(2 * state) + R"(, "snapshot_bytes": )" + s + R"(},
        {"id": "relax", "time": 3, "tape_bytes": )" +
      std::to_string(3 * state) + R"(, "snapshot_bytes": )" + s + "}]}]}");
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t cells = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  const std::int64_t steps = argc > 2 ? std::strtoll(argv[2], nullptr, 10) : 12;
  if (cells < 3 || cells > 10'000'000 || steps < 1 || steps > 100'000) {
    std::fprintf(stderr, "usage: example_calltree_loop_adjoint [cells>=3] [steps in 1..1e5]\n");
    return 2;
  }
  std::vector<double> x0(cells);
  for (std::size_t i = 0; i < cells; ++i) x0[i] = std::sin(0.01 * static_cast<double>(i)) + 0.5;

  Adjoint store_all({false, false, false}, steps, 0);
  const std::vector<double> reference = store_all.run(x0);
  std::printf("store-all reference: peak %lld bytes\n\n", static_cast<long long>(store_all.peak()));
  std::printf("%-22s %5s %14s %14s %11s %11s %9s\n", "joint calls", "slots", "peak predicted",
              "peak measured", "plain pred.", "plain meas.", "time [s]");
  bool ok = true;
  for (const std::int64_t slots : {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, steps}) {
    const memsched::CallTree tree = model(cells, steps, slots);
    for (int mask = 0; mask < 8; ++mask) {
      const Choice choice{(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
      const memsched::JointSet joint{false, choice.loop, choice.stress, choice.relax};
      const memsched::CallTreeCost predicted = memsched::evaluate_calltree(tree, joint);
      // Plain runs of the time step: Revolve's advances, plus every step when the loop is
      // joint (the model's t(N, S) + N).
      const std::int64_t plain_predicted = tree.loop_advances(1) + (choice.loop ? steps : 0);
      Adjoint run(choice, steps, slots);
      const auto start = std::chrono::steady_clock::now();
      const std::vector<double> gradient = run.run(x0);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const bool same = gradient == reference;
      const bool exact = run.peak() == predicted.peak && run.plain_steps() == plain_predicted;
      ok = ok && same && exact;
      std::string names;
      if (choice.loop) names += "time_loop ";
      if (choice.stress) names += "stress ";
      if (choice.relax) names += "relax";
      if (names.empty()) names = "(none)";
      std::printf("%-22s %5lld %14lld %14lld %11lld %11lld %9.4f%s%s\n", names.c_str(),
                  static_cast<long long>(slots), static_cast<long long>(predicted.peak),
                  static_cast<long long>(run.peak()), static_cast<long long>(plain_predicted),
                  static_cast<long long>(run.plain_steps()), seconds,
                  same ? "" : "  GRADIENT DIFFERS", exact ? "" : "  MODEL MISMATCH");
    }
  }
  std::printf("\n%s\n", ok ? "all gradients bitwise equal to store-all; peaks and plain steps "
                             "as predicted"
                           : "FAILED");
  return ok ? 0 : 1;
}
