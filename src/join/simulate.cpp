// The join-graph simulator (see join/simulate.hpp): per-chain fronts, one working state, one
// shared pool of slots.
#include "memsched/join/simulate.hpp"

#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/errors.hpp"

namespace memsched {

namespace {

using StateId = std::pair<std::int32_t, Step>;  // (chain, step)
constexpr StateId kNone{-1, -1};

class JoinSimulator {
 public:
  JoinSimulator(const JoinGraph& graph, std::int64_t slots) : graph_(graph), slots_(slots) {
    const std::int32_t k = graph.num_branches();
    if (slots < k - 1) {
      throw std::invalid_argument("simulate_join: " + std::to_string(slots) +
                                  " slots cannot hold the " + std::to_string(k - 1) +
                                  " stored branch inputs");
    }
    for (std::int32_t b = 0; b <= k; ++b) front_.push_back(graph.length(b));
    for (std::int32_t b = 1; b < k; ++b) stored_.insert({b, 0});
    report_.peak_slots = static_cast<std::int64_t>(stored_.size());
  }

  void apply(const JoinAction& ja) {
    const Action& a = ja.action;
    const std::int32_t k = graph_.num_branches();
    const std::int32_t c = ja.chain;
    if (c < 0 || c > k) fail(ja, "no chain " + std::to_string(c));
    if (done_) fail(ja, "an action after EndReverse");
    const Step length = graph_.length(c);
    const bool handle = c == k;
    switch (a.kind) {
      case ActionKind::kForward: {
        if (a.begin < 0 || a.end <= a.begin || a.end > length) fail(ja, "bad step range");
        if (a.end > front_[static_cast<std::size_t>(c)]) fail(ja, "advances past the front");
        if (handle && a.begin == 0) {
          for (std::int32_t b = 0; b < k; ++b) {
            const StateId out{b, graph_.branch_length(b)};
            if (stored_.count(out) == 0 && work_ != out) {
              fail(ja, "the join needs the output of branch " + std::to_string(b));
            }
          }
        } else if (work_ != StateId{c, a.begin}) {
          fail(ja,
               "the working buffer does not hold this chain's state " + std::to_string(a.begin));
        }
        if (a.flag) {
          if (a.end != a.begin + 1) fail(ja, "records more than one step");
          if (tape_ != kNone) fail(ja, "the working buffer already holds a tape");
          tape_ = {c, a.begin};
        }
        work_ = {c, a.end};
        report_.forward_steps += a.end - a.begin;
        if (handle && a.end == length) reached_end_ = true;
        break;
      }
      case ActionKind::kReverse: {
        if (!reverse_phase_) fail(ja, "a reverse step before EndForward");
        if (a.end != front_[static_cast<std::size_t>(c)] || a.begin != a.end - 1) {
          fail(ja, "reverses other than the step before the front");
        }
        if (!handle && front_[static_cast<std::size_t>(k)] != 0) {
          fail(ja, "a branch step reversed before the join");
        }
        if (tape_ != StateId{c, a.begin}) fail(ja, "the tape of this step is not in work");
        tape_ = kNone;
        front_[static_cast<std::size_t>(c)] = a.begin;
        report_.adjoint_steps += 1;
        break;
      }
      case ActionKind::kCopy:
      case ActionKind::kMove: {
        if (a.content != Content::kState) fail(ja, "tapes are never stored in join schedules");
        const StateId id{c, a.step};
        if (a.step < (handle ? 1 : 0) || a.step > length) fail(ja, "no such state");
        if (a.from == kWork && a.to == 0) {
          if (work_ != id) fail(ja, "the working buffer does not hold this state");
          if (stored_.count(id) != 0) fail(ja, "already stored");
          if (static_cast<std::int64_t>(stored_.size()) >= slots_) fail(ja, "no free slot");
          stored_.insert(id);
          report_.peak_slots =
              std::max(report_.peak_slots, static_cast<std::int64_t>(stored_.size()));
          if (a.kind == ActionKind::kMove) work_ = kNone;
        } else if (a.from == 0 && a.to == kWork) {
          if (stored_.count(id) == 0) fail(ja, "the state is not stored");
          const Step front = front_[static_cast<std::size_t>(c)];
          const bool output_needed =
              !handle && a.step == length && front_[static_cast<std::size_t>(k)] > 0;
          if (a.step >= front && !output_needed) fail(ja, "restores a state past the front");
          work_ = id;
          if (a.kind == ActionKind::kMove) stored_.erase(id);
        } else {
          fail(ja, "copies go between the working buffer and level 0");
        }
        break;
      }
      case ActionKind::kFree: {
        const StateId id{c, a.step};
        if (a.content != Content::kState || a.from != 0 || stored_.erase(id) == 0) {
          fail(ja, "frees a state that is not stored");
        }
        break;
      }
      case ActionKind::kEndForward:
        if (reverse_phase_ || !reached_end_) fail(ja, "EndForward before the loss is reached");
        reverse_phase_ = true;
        break;
      case ActionKind::kEndReverse:
        for (std::int32_t b = 0; b <= k; ++b) {
          if (front_[static_cast<std::size_t>(b)] != 0) fail(ja, "a chain is not reversed");
        }
        done_ = true;
        break;
    }
    report_.num_actions += 1;
  }

  JoinReport finish() {
    const JoinAction end{graph_.handle(), Action::end_reverse()};
    if (!done_) fail(end, "the schedule does not end with EndReverse");
    if (!stored_.empty()) fail(end, "states still stored at the end");
    return report_;
  }

 private:
  [[noreturn]] void fail(const JoinAction& action, const std::string& reason) const {
    throw ScheduleError(report_.num_actions, to_string(action, graph_), reason);
  }

  const JoinGraph& graph_;
  std::int64_t slots_;
  JoinReport report_;
  std::vector<Step> front_;
  std::set<StateId> stored_;
  StateId work_{0, 0};
  StateId tape_ = kNone;
  bool reached_end_ = false;
  bool reverse_phase_ = false;
  bool done_ = false;
};

}  // namespace

JoinReport simulate_join(const JoinSchedule& schedule, const JoinGraph& graph, std::int64_t slots) {
  JoinSimulator simulator(graph, slots);
  for (const JoinAction& action : schedule) simulator.apply(action);
  return simulator.finish();
}

}  // namespace memsched
