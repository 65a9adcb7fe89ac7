// The heterogeneous operations, their text form, and the byte-exact replay simulator.
#include "memsched/hetero/schedule.hpp"

#include <algorithm>
#include <string>

#include "memsched/errors.hpp"

namespace memsched {

namespace {

HeteroOp make(HeteroOpKind kind, std::int64_t stage, bool tape = false) noexcept {
  HeteroOp op;
  op.kind = kind;
  op.stage = stage;
  op.tape = tape;
  return op;
}

}  // namespace

HeteroOp HeteroOp::forward_check(std::int64_t i) noexcept {
  return make(HeteroOpKind::kForwardCheck, i);
}
HeteroOp HeteroOp::forward_nograd(std::int64_t i) noexcept {
  return make(HeteroOpKind::kForwardNograd, i);
}
HeteroOp HeteroOp::forward_enable(std::int64_t i) noexcept {
  return make(HeteroOpKind::kForwardEnable, i);
}
HeteroOp HeteroOp::loss(std::int64_t num_stages) noexcept {
  return make(HeteroOpKind::kLoss, num_stages);
}
HeteroOp HeteroOp::backward(std::int64_t i) noexcept { return make(HeteroOpKind::kBackward, i); }
HeteroOp HeteroOp::free_input(std::int64_t i) noexcept { return make(HeteroOpKind::kFree, i); }
HeteroOp HeteroOp::free_tape(std::int64_t i) noexcept { return make(HeteroOpKind::kFree, i, true); }

bool operator==(const HeteroOp& a, const HeteroOp& b) noexcept {
  return a.kind == b.kind && a.stage == b.stage && a.tape == b.tape;
}

std::string to_string(const HeteroOp& op) {
  const std::string i = std::to_string(op.stage);
  switch (op.kind) {
    case HeteroOpKind::kForwardCheck:
      return "CF_" + i;
    case HeteroOpKind::kForwardNograd:
      return "Fn_" + i;
    case HeteroOpKind::kForwardEnable:
      return "Fe_" + i;
    case HeteroOpKind::kLoss:
      return "L";
    case HeteroOpKind::kBackward:
      return "B_" + i;
    case HeteroOpKind::kFree:
      return (op.tape ? "Del_xbar_" : "Del_x_") + i;
  }
  return "?";
}

std::string to_string(const HeteroSchedule& schedule) {
  std::string text;
  for (const HeteroOp& op : schedule) {
    if (!text.empty()) text += ' ';
    text += to_string(op);
  }
  return text;
}

namespace {

// The replay state: which values are stored, the memory they take, the backward front.
class HeteroReplay {
 public:
  HeteroReplay(const HeteroChain& chain, Bytes budget, const HeteroRules& rules)
      : chain_(chain),
        budget_(budget),
        rules_(rules),
        n_(chain.num_stages()),
        x_(static_cast<std::size_t>(n_ + 1), false),
        xbar_(static_cast<std::size_t>(n_ + 1), false),
        next_backward_(n_),
        gradient_(-1) {
    x_[0] = true;
    used_ = chain.x(0);
    report_.peak_bytes = used_;
    if (used_ > budget_) fail_at(0, "start", "x_0 alone exceeds the budget");
  }

  void apply(const HeteroOp& op) {
    current_ = &op;
    const double start = report_.makespan;
    op_peak_ = used_;
    switch (op.kind) {
      case HeteroOpKind::kForwardCheck:
      case HeteroOpKind::kForwardNograd:
      case HeteroOpKind::kForwardEnable:
        forward(op);
        break;
      case HeteroOpKind::kLoss:
        loss(op);
        break;
      case HeteroOpKind::kBackward:
        backward(op);
        break;
      case HeteroOpKind::kFree:
        drop(op);
        break;
      default:
        fail("unknown operation kind");
    }
    report_.num_ops += 1;
    if (timeline_ != nullptr) timeline_->push_back({start, report_.makespan, op_peak_, used_});
  }

  void record(std::vector<HeteroTimelineEntry>* timeline) { timeline_ = timeline; }

  HeteroReport finish() {
    current_ = nullptr;
    if (next_backward_ != -1) {
      fail_at(report_.num_ops, "end of schedule",
              "the backward has not reached stage 0 (next backward: " +
                  std::to_string(next_backward_) + ")");
    }
    for (std::int64_t i = 0; i <= n_; ++i) {
      if (x_[idx(i)] || xbar_[idx(i)]) {
        fail_at(report_.num_ops, "end of schedule",
                "ends with " + value_name(i, !x_[idx(i)]) + " still stored");
      }
    }
    return report_;
  }

 private:
  static std::size_t idx(std::int64_t i) { return static_cast<std::size_t>(i); }
  static std::string value_name(std::int64_t i, bool tape) {
    return (tape ? "xbar_" : "x_") + std::to_string(i);
  }

  [[noreturn]] void fail_at(std::int64_t index, const std::string& what,
                            const std::string& reason) const {
    throw ScheduleError(index, what, reason);
  }
  [[noreturn]] void fail(const std::string& reason) const {
    fail_at(report_.num_ops, current_ ? to_string(*current_) : "?", reason);
  }

  // x_i is available as a stored value alone or inside x̄_i.
  bool has_input(std::int64_t i) const { return x_[idx(i)] || (i > 0 && xbar_[idx(i)]); }
  bool pinned(std::int64_t i) const { return rules_.pin_inputs && i < n_ && xbar_[idx(i + 1)]; }

  void charge_peak(Bytes produced, Bytes temporary) {
    const Bytes peak = used_ + produced + temporary;
    if (peak > budget_) {
      fail("needs " + std::to_string(peak) + " bytes (" + std::to_string(used_) + " stored + " +
           std::to_string(produced) + " produced + " + std::to_string(temporary) +
           " temporary), above the budget of " + std::to_string(budget_));
    }
    report_.peak_bytes = std::max(report_.peak_bytes, peak);
    op_peak_ = peak;
  }

  void check_stage(std::int64_t i, std::int64_t last) const {
    if (i < 0 || i > last) {
      fail("stage " + std::to_string(i) + " is outside [0, " + std::to_string(last) + "]");
    }
  }

  void forward(const HeteroOp& op) {
    const std::int64_t i = op.stage;
    check_stage(i, n_ - 1);
    if (i > next_backward_) {
      fail("stage " + std::to_string(i) +
           " is past the backward front (next backward: " + std::to_string(next_backward_) + ")");
    }
    if (!has_input(i)) fail("its input x_" + std::to_string(i) + " is not stored");
    const HeteroStage& s = chain_.stage(i);
    if (op.kind == HeteroOpKind::kForwardEnable) {
      if (xbar_[idx(i + 1)]) fail("xbar_" + std::to_string(i + 1) + " is already stored");
      charge_peak(s.tape_bytes, s.recording_tmp());
      xbar_[idx(i + 1)] = true;
      used_ += s.tape_bytes;
      report_.recording_forwards += 1;
    } else {
      if (x_[idx(i + 1)]) fail("x_" + std::to_string(i + 1) + " is already stored");
      if (op.kind == HeteroOpKind::kForwardNograd) {
        if (!x_[idx(i)]) fail("drops x_" + std::to_string(i) + ", which is not stored alone");
        if (pinned(i)) {
          fail("drops x_" + std::to_string(i) + " while xbar_" + std::to_string(i + 1) +
               " is stored (pinned input)");
        }
      }
      charge_peak(chain_.x(i + 1), s.forward_tmp_bytes);
      x_[idx(i + 1)] = true;
      used_ += chain_.x(i + 1);
      if (op.kind == HeteroOpKind::kForwardNograd) {
        x_[idx(i)] = false;
        used_ -= s.input_bytes;
      }
    }
    report_.forwards += 1;
    report_.makespan += s.forward_time;
  }

  void loss(const HeteroOp& op) {
    if (op.stage != n_) fail("the loss is stage " + std::to_string(n_));
    if (next_backward_ != n_) fail("the loss was already computed");
    if (!has_input(n_)) fail("its input x_" + std::to_string(n_) + " is not stored");
    const HeteroLoss& l = chain_.loss();
    charge_peak(l.input_bytes, l.backward_tmp_bytes);
    used_ += l.input_bytes;  // ȳ_L
    if (x_[idx(n_)]) {       // x_L stored alone is no longer needed
      x_[idx(n_)] = false;
      used_ -= l.input_bytes;
    }
    gradient_ = n_;
    next_backward_ = n_ - 1;
    report_.makespan += l.time;
  }

  void backward(const HeteroOp& op) {
    const std::int64_t i = op.stage;
    check_stage(i, n_ - 1);
    if (i != next_backward_) {
      fail("the next backward is stage " + std::to_string(next_backward_) + ", not " +
           std::to_string(i));
    }
    if (gradient_ != i + 1) fail("the gradient ybar_" + std::to_string(i + 1) + " is missing");
    if (!xbar_[idx(i + 1)]) fail("xbar_" + std::to_string(i + 1) + " is not stored");
    if (!has_input(i)) fail("its input x_" + std::to_string(i) + " is not stored");
    const HeteroStage& s = chain_.stage(i);
    charge_peak(s.input_bytes, s.backward_tmp_bytes);
    used_ += s.input_bytes - chain_.x(i + 1) - s.tape_bytes;  // + ȳ_i - ȳ_{i+1} - x̄_{i+1}
    xbar_[idx(i + 1)] = false;
    if (x_[idx(i)]) {
      x_[idx(i)] = false;
      used_ -= s.input_bytes;
    }
    gradient_ = i;
    next_backward_ = i - 1;
    report_.makespan += s.backward_time;
  }

  void drop(const HeteroOp& op) {
    const std::int64_t i = op.stage;
    if (op.tape) {
      check_stage(i, n_);
      if (i < 1 || !xbar_[idx(i)]) fail(value_name(i, true) + " is not stored");
      if (pinned(i)) {
        fail("xbar_" + std::to_string(i) + " holds x_" + std::to_string(i) + ", pinned by xbar_" +
             std::to_string(i + 1));
      }
      xbar_[idx(i)] = false;
      used_ -= chain_.tape(i - 1);
    } else {
      check_stage(i, n_);
      if (!x_[idx(i)]) fail(value_name(i, false) + " is not stored");
      if (pinned(i)) {
        fail("x_" + std::to_string(i) + " is pinned by xbar_" + std::to_string(i + 1));
      }
      x_[idx(i)] = false;
      used_ -= chain_.x(i);
    }
  }

  const HeteroChain& chain_;
  Bytes budget_;
  HeteroRules rules_;
  std::int64_t n_;
  std::vector<bool> x_;         // x_i stored alone, 0 <= i <= L
  std::vector<bool> xbar_;      // x̄_i stored, 1 <= i <= L
  std::int64_t next_backward_;  // L (the loss), then L-1 ... 0, then -1
  std::int64_t gradient_;       // index of the one gradient held, -1 before the loss
  Bytes used_ = 0;
  HeteroReport report_;
  const HeteroOp* current_ = nullptr;
  Bytes op_peak_ = 0;
  std::vector<HeteroTimelineEntry>* timeline_ = nullptr;
};

}  // namespace

HeteroReport simulate(const HeteroSchedule& schedule, const HeteroChain& chain, Bytes budget_bytes,
                      const HeteroRules& rules, std::vector<HeteroTimelineEntry>* timeline) {
  HeteroReplay replay(chain, budget_bytes, rules);
  replay.record(timeline);
  for (const HeteroOp& op : schedule) replay.apply(op);
  return replay.finish();
}

}  // namespace memsched
