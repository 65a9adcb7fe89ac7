// The baseline online planners: periodic stores while slots last, Revolve after the fact.
#include "memsched/plan/online_baselines.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "detail/binomial_reversal.hpp"
#include "memsched/plan/online.hpp"
#include "memsched/plan/revolve.hpp"

namespace memsched {

namespace {

void check_running(bool finished, bool last_step_recorded, const char* where) {
  if (finished || last_step_recorded) {
    throw std::logic_error(std::string(where) + ": the forward run has ended");
  }
}

// The held states 0 = h_0 < ... < h_k, all before `end`, reversed after a recorded step
// end -> end + 1: its adjoint first, then each interval [h_q, h_{q+1}) by Revolve with
// slots - q snapshots, last first. The same reversal as OnlineCheckpointer's with nothing
// dropped and no shifted start.
std::unique_ptr<ActionStream> after_recorded_step(const std::vector<Step>& held, Step end,
                                                  std::int64_t slots, Place level) {
  OnlineReversalPlan plan;
  if (end > 0) {
    plan.kept = held;
    plan.starts = held;
  }
  return detail::online_reversal(held, plan, end, slots, level, true);
}

}  // namespace

OnlinePeriodic::OnlinePeriodic(Step period, std::int64_t slots, Place level)
    : period_(period), slots_(slots), level_(level) {
  if (period < 1 || slots < 1) {
    throw std::invalid_argument("OnlinePeriodic: needs period >= 1 and slots >= 1, got period = " +
                                std::to_string(period) + ", slots = " + std::to_string(slots));
  }
}

Schedule OnlinePeriodic::begin_step() {
  check_running(finished_, last_step_recorded_, "OnlinePeriodic::begin_step");
  if (steps_ >= kMaxSteps) {
    throw std::overflow_error("OnlinePeriodic::begin_step: more than 2^62 steps");
  }
  Schedule out;
  // Store every period-th state while slots are left.
  if (steps_ % period_ == 0 && stored_ < slots_) {
    stored_ += 1;
    out.push_back(Action::copy(steps_, Content::kState, kWork, level_));
  }
  steps_ += 1;
  return out;
}

Schedule OnlinePeriodic::begin_last_step() {
  check_running(finished_, last_step_recorded_, "OnlinePeriodic::begin_last_step");
  // The last step runs with recording: its adjoint comes first, so its state is not stored.
  steps_ += 1;
  last_step_recorded_ = true;
  return {};
}

std::unique_ptr<ActionStream> OnlinePeriodic::finish() {
  if (finished_) throw std::logic_error("OnlinePeriodic::finish: called twice");
  if (steps_ == 0) throw std::logic_error("OnlinePeriodic::finish: no step was run");
  finished_ = true;
  if (last_step_recorded_) {
    std::vector<Step> held;
    for (std::int64_t j = 0; j < stored_; ++j) held.push_back(j * period_);
    return after_recorded_step(held, steps_ - 1, slots_, level_);
  }
  // The stored starts are 0, k, ..., (stored-1)k; the last segment runs to n. Segment j may
  // use the slots the earlier starts leave.
  return std::make_unique<detail::SegmentedReversal>(
      period_, steps_, stored_ - 1, true, level_,
      [slots = slots_](Step segment) { return slots - segment; });
}

OnlineRevolve::OnlineRevolve(std::int64_t slots, Place level) : slots_(slots), level_(level) {
  if (slots < 1) {
    throw std::invalid_argument("OnlineRevolve: needs slots >= 1, got " + std::to_string(slots));
  }
}

Schedule OnlineRevolve::begin_step() {
  check_running(finished_, last_step_recorded_, "OnlineRevolve::begin_step");
  if (steps_ >= kMaxSteps) {
    throw std::overflow_error("OnlineRevolve::begin_step: more than 2^62 steps");
  }
  Schedule out;
  if (steps_ == 0) out.push_back(Action::copy(0, Content::kState, kWork, level_));
  steps_ += 1;
  return out;
}

Schedule OnlineRevolve::begin_last_step() {
  check_running(finished_, last_step_recorded_, "OnlineRevolve::begin_last_step");
  // With one step, x_0 is not needed again: the recorded step is reversed first.
  steps_ += 1;
  last_step_recorded_ = true;
  return {};
}

namespace {

// x_0 (stored on `level`) restored into the working buffer, then Revolve on n steps.
class RestoreThenRevolve final : public ActionStream {
 public:
  RestoreThenRevolve(Step num_steps, std::int64_t slots, Place level)
      : level_(level), revolve_(num_steps, slots, level) {}
  std::optional<Action> next() override {
    if (restore_pending_) {
      restore_pending_ = false;
      return Action::move(0, Content::kState, level_, kWork);
    }
    return revolve_.next();
  }

 private:
  Place level_;
  bool restore_pending_ = true;
  RevolveStream revolve_;
};

}  // namespace

std::unique_ptr<ActionStream> OnlineRevolve::finish() {
  if (finished_) throw std::logic_error("OnlineRevolve::finish: called twice");
  if (steps_ == 0) throw std::logic_error("OnlineRevolve::finish: no step was run");
  finished_ = true;
  if (last_step_recorded_) {
    const Step end = steps_ - 1;
    return after_recorded_step(end == 0 ? std::vector<Step>{} : std::vector<Step>{0}, end, slots_,
                               level_);
  }
  return std::make_unique<RestoreThenRevolve>(steps_, slots_, level_);
}

}  // namespace memsched
