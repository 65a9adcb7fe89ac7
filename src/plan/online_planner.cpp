// Simulated arrival: an OnlinePlanner driven over a known length (see online_planner.hpp).
#include "memsched/plan/online_planner.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace memsched {

OnlinePlannerStream::OnlinePlannerStream(std::unique_ptr<OnlinePlanner> planner, Step num_steps,
                                         OnlineEnd end)
    : planner_(std::move(planner)), num_steps_(num_steps), end_(end) {
  if (num_steps < 1 || num_steps > kMaxSteps) {
    throw std::invalid_argument("OnlinePlannerStream: bad number of steps " +
                                std::to_string(num_steps));
  }
  if (!planner_ || planner_->steps_begun() != 0) {
    throw std::invalid_argument("OnlinePlannerStream: needs a planner that has begun no step");
  }
}

std::optional<Action> OnlinePlannerStream::next() {
  while (true) {
    if (pending_head_ < pending_.size()) return pending_[pending_head_++];
    pending_.clear();
    pending_head_ = 0;
    if (reversal_) return reversal_->next();
    // The planner has seen steps [0, s); the forward run from x_run_start_ is not emitted.
    const Step s = planner_->steps_begun();
    auto flush = [&](Step to) {
      if (run_start_ < to) pending_.push_back(Action::forward(run_start_, to));
      run_start_ = to;
    };
    if (s == num_steps_) {
      flush(num_steps_);
      reversal_ = planner_->finish();
      continue;
    }
    if (end_ == OnlineEnd::kBeforeLastStep && s == num_steps_ - 1) {
      const Schedule actions = planner_->begin_last_step();
      flush(s);
      pending_.insert(pending_.end(), actions.begin(), actions.end());
      pending_.push_back(Action::forward(s, num_steps_, true));
      run_start_ = num_steps_;
      continue;
    }
    const Schedule actions = planner_->begin_step();
    if (!actions.empty()) {
      flush(s);
      pending_.insert(pending_.end(), actions.begin(), actions.end());
    }
  }
}

}  // namespace memsched
