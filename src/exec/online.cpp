// The executor's adapter for online planners (see exec/online.hpp).
#include "memsched/exec/online.hpp"

#include <stdexcept>
#include <string>

namespace memsched {

OnlineSchedule::OnlineSchedule(OnlinePlanner& planner) : planner_(&planner) {
  if (planner_->steps_begun() != 0) {
    throw std::invalid_argument("OnlineSchedule: needs a planner that has begun no step");
  }
}

std::optional<Action> OnlineSchedule::next() {
  if (reversal_) return reversal_->next();
  if (pending_head_ == pending_.size()) {
    // The executor asks for more only while the sweep goes on: decide on x_i, then step i.
    const Step i = planner_->steps_begun();
    pending_ = planner_->begin_step();
    pending_head_ = 0;
    pending_.push_back(Action::forward(i, i + 1));
  }
  return pending_[pending_head_++];
}

void OnlineSchedule::finish(Step num_steps) {
  if (reversal_ || pending_head_ != pending_.size() || num_steps != planner_->steps_begun()) {
    throw std::logic_error("OnlineSchedule::finish: the sweep did not end at x_" +
                           std::to_string(num_steps) + " after the actions yielded");
  }
  reversal_ = planner_->finish();
}

}  // namespace memsched
