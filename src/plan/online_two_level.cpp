// Two-level online checkpointing (see online_two_level.hpp).
#include "memsched/plan/online_two_level.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "detail/binomial_reversal.hpp"
#include "memsched/plan/disk_revolve.hpp"

namespace memsched {

namespace {

constexpr Place kRam = 0;
constexpr Place kDisk = 1;

// The reversal: the current period's (the online checkpointer's, its steps shifted to the
// period's start, without its EndReverse), then the completed periods from their disk
// checkpoints.
class TwoLevelReversal final : public ActionStream {
 public:
  TwoLevelReversal(std::unique_ptr<ActionStream> last, Step base, Step period,
                   const DiskModel& model)
      : last_(std::move(last)), base_(base), period_(period), model_(model) {}

  std::optional<Action> next() override {
    if (last_) {
      std::optional<Action> a = last_->next();
      if (a && a->kind != ActionKind::kEndReverse) return shifted(*a, base_);
      last_.reset();
      if (base_ == 0) {
        done_ = true;
        return Action::end_reverse();
      }
      const Step periods = base_ / period_;
      if (period_ <= OnlineTwoLevel::kOneDMaxPeriod) {
        reversal_ = disk_periods_reversal(period_, periods, model_);
      } else {
        // The disk checkpoint plays x_0 for up to ram_slots snapshots (two-level).
        reversal_ = std::make_unique<detail::SegmentedReversal>(
            period_, base_, periods - 1, true, kRam,
            [slots = std::min<std::int64_t>(model_.ram_slots, period_ - 1) + 1](Step) {
              return slots;
            },
            kDisk, false);
      }
    }
    if (done_) return std::nullopt;
    return reversal_->next();
  }

 private:
  std::unique_ptr<ActionStream> last_;
  Step base_;
  Step period_;
  DiskModel model_;
  std::unique_ptr<ActionStream> reversal_;
  bool done_ = false;
};

}  // namespace

OnlineTwoLevel::OnlineTwoLevel(Step period, const DiskModel& model, std::int64_t disk_slots,
                               OnlinePolicy policy)
    : period_(period), model_(model), disk_slots_(disk_slots), policy_(policy) {
  const std::int64_t ram_slots = model.ram_slots;
  if (period < 1 || ram_slots < 1 || disk_slots < 0) {
    throw std::invalid_argument(
        "OnlineTwoLevel: needs period >= 1, ram_slots >= 1 and disk_slots >= 0, got period = " +
        std::to_string(period) + ", ram_slots = " + std::to_string(ram_slots) +
        ", disk_slots = " + std::to_string(disk_slots));
  }
  if (period <= kOneDMaxPeriod) DiskRevolveTables(0, model);  // validates the costs
  inner_.emplace(ram_slots, kRam, policy);
}

// At the end of a period (and while the disk has room): its start, which the online
// checkpointer keeps in RAM for good, moves to the disk; its other checkpoints are released.
void OnlineTwoLevel::close_period_if_due(Schedule& out) {
  if (steps_ - base_ != period_ || disk_count_ >= disk_slots_) return;
  const std::vector<Step> held = inner_->checkpoints();
  out.push_back(Action::move(base_, Content::kState, kRam, kDisk));
  for (std::size_t j = 1; j < held.size(); ++j) {
    out.push_back(Action::free(base_ + held[j], Content::kState, kRam));
  }
  disk_count_ += 1;
  base_ = steps_;
  inner_.emplace(model_.ram_slots, kRam, policy_);
}

Schedule OnlineTwoLevel::begin_step() {
  if (finished_ || last_begun_) {
    throw std::logic_error("OnlineTwoLevel::begin_step: the forward run has ended");
  }
  if (steps_ >= kMaxSteps) throw std::overflow_error("OnlineTwoLevel: more than 2^62 steps");
  Schedule out;
  close_period_if_due(out);
  for (const Action& a : inner_->begin_step()) out.push_back(shifted(a, base_));
  steps_ += 1;
  return out;
}

Schedule OnlineTwoLevel::begin_last_step() {
  if (finished_ || last_begun_) {
    throw std::logic_error("OnlineTwoLevel::begin_last_step: the forward run has ended");
  }
  last_begun_ = true;
  Schedule out;
  close_period_if_due(out);
  inner_->begin_last_step();
  steps_ += 1;
  return out;
}

std::unique_ptr<ActionStream> OnlineTwoLevel::finish() {
  if (finished_) throw std::logic_error("OnlineTwoLevel::finish: called twice");
  if (steps_ == 0) throw std::logic_error("OnlineTwoLevel::finish: no step was run");
  finished_ = true;
  return std::make_unique<TwoLevelReversal>(inner_->finish(), base_, period_, model_);
}

std::optional<OnlinePlannerStream> online_two_level(const Chain& chain, const Platform& platform,
                                                    std::optional<Step> period, OnlineEnd end) {
  if (period && *period < 1) {
    throw std::invalid_argument("online_two_level: period must be >= 1, got " +
                                std::to_string(*period));
  }
  std::optional<DiskModel> model = disk_model(chain, platform, 0);
  if (!model || model->ram_slots < 1) return std::nullopt;
  if (!period) {
    if (!(model->forward_cost > 0)) return std::nullopt;
    period = periodic_disk_period(*model);
  }
  return OnlinePlannerStream(
      std::make_unique<OnlineTwoLevel>(*period, *model, platform.level(1).num_slots),
      chain.num_steps(), end);
}

}  // namespace memsched
