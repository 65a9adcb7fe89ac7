// Online checkpointing: Wang-Moin-Iaccarino dynamic storage, then the optimal Revolve-based
// reversal of the checkpoints held when the end is announced.
#include "memsched/plan/online.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "binomial_reversal.hpp"
#include "memsched/plan/binomial.hpp"

namespace memsched {

namespace {

constexpr std::int64_t kPermanent = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUnreachable = std::numeric_limits<std::int64_t>::max();

// Above this many held states the DP only considers dropping a bounded number of them (see
// plan_reversal): the full DP is O(k^3) closed-form evaluations.
constexpr std::size_t kFullDpLimit = 96;
constexpr std::int64_t kMaxDropsLargeK = 12;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  return a > kUnreachable - b ? kUnreachable : a + b;
}

// t(len, d), or kUnreachable when n + t does not fit in 64 bits.
std::int64_t saturating_advances(Step length, std::int64_t snapshots) {
  try {
    return revolve_advances(length, snapshots);
  } catch (const std::overflow_error&) {
    return kUnreachable;
  }
}

struct ReversalPlan {
  std::int64_t advances = 0;
  std::vector<std::size_t> kept;  // indices into `held`, ascending, kept[0] == 0
};

void check_held(const std::vector<Step>& held, Step end, std::int64_t slots) {
  if (held.empty() || held.front() != 0) {
    throw std::invalid_argument("online_reversal_advances: the held states must start with 0");
  }
  if (slots < 1 || static_cast<std::uint64_t>(held.size()) > static_cast<std::uint64_t>(slots)) {
    throw std::invalid_argument("online_reversal_advances: " + std::to_string(held.size()) +
                                " held states do not fit in " + std::to_string(slots) + " slots");
  }
  for (std::size_t j = 1; j < held.size(); ++j) {
    if (held[j] <= held[j - 1]) {
      throw std::invalid_argument("online_reversal_advances: held states not ascending at " +
                                  std::to_string(held[j]));
    }
  }
  if (held.back() >= end) {
    throw std::invalid_argument("online_reversal_advances: held state " +
                                std::to_string(held.back()) + " is not before the end " +
                                std::to_string(end));
  }
}

// The keep/drop choice for the held states h_0 = 0 < ... < h_{k-1} < E = end. Once the kept
// set is fixed, the reversal runs interval by interval from the last: when the front enters
// the interval that starts at the q-th kept state (q = 0, 1, ...), the q states kept before it
// are still held, so Revolve on that interval has slots - q snapshots (its start's included)
// and needs t(len, slots - q) advances (Griewank & Walther 2000, Prop. 1, the closed form
// t = r*len - beta(d+1, r-1)). A dropped state is released at once: holding it longer can only
// take a slot from the intervals after it, and restoring it is what "kept" means.
//   D(j, q) = min_{l > j} [ t(h_l - h_j, slots - q) + D(l, q + 1) ],  D(k, .) = 0,  h_k = E,
// for h_j kept with q states kept before it; the answer is D(0, 0). With k > kFullDpLimit only
// j - q <= kMaxDropsLargeK is explored (dropping is only useful right after long intervals
// starved of slots, which the Wang-Moin-Iaccarino levels avoid).
ReversalPlan plan_reversal(const std::vector<Step>& held, Step end, std::int64_t slots) {
  check_held(held, end, slots);
  const std::size_t k = held.size();
  const std::int64_t max_drops = k <= kFullDpLimit ? static_cast<std::int64_t>(k) : kMaxDropsLargeK;
  auto position = [&](std::size_t l) { return l == k ? end : held[l]; };
  // best[j][drops], drops = j - q; next[j][drops] = the next kept index.
  const std::size_t width = static_cast<std::size_t>(max_drops) + 1;
  std::vector<std::int64_t> best((k + 1) * width, kUnreachable);
  std::vector<std::size_t> next((k + 1) * width, k);
  for (std::size_t d = 0; d < width; ++d) best[k * width + d] = 0;
  for (std::size_t j = k; j-- > 0;) {
    const std::size_t max_d = std::min<std::size_t>(j, width - 1);
    for (std::size_t d = 0; d <= max_d; ++d) {
      const std::int64_t q = static_cast<std::int64_t>(j - d);
      const std::int64_t snapshots = slots - q;
      std::int64_t value = kUnreachable;
      std::size_t choice = k;
      // Next kept index l drops l - j - 1 states in between.
      for (std::size_t l = j + 1; l <= k && d + (l - j - 1) < width; ++l) {
        const std::size_t d_next = d + (l - j - 1);
        const std::int64_t rest = best[l * width + d_next];
        if (rest == kUnreachable) continue;
        const std::int64_t here = saturating_advances(position(l) - held[j], snapshots);
        if (here == kUnreachable || here > kUnreachable - rest) continue;
        if (here + rest < value) {
          value = here + rest;
          choice = l;
        }
      }
      best[j * width + d] = value;
      next[j * width + d] = choice;
    }
  }
  ReversalPlan plan;
  plan.advances = best[0];
  std::size_t j = 0;
  std::size_t d = 0;
  while (j < k) {
    plan.kept.push_back(j);
    const std::size_t l = next[j * width + d];
    d += l - j - 1;
    j = l;
  }
  return plan;
}

// The reversal of the held checkpoints: EndForward (and the adjoint of a recorded last step),
// the release of the dropped states, Revolve on each kept interval, last first, EndReverse.
class OnlineReversal final : public ActionStream {
 public:
  OnlineReversal(const std::vector<Step>& held, Step end, std::int64_t slots, Place level,
                 bool last_step_recorded)
      : level_(level) {
    prefix_.push_back(Action::end_forward());
    if (last_step_recorded) {
      prefix_.push_back(Action::reverse(end + 1, end));
    }
    if (end == 0) return;
    const ReversalPlan plan = plan_reversal(held, end, slots);
    std::size_t next_kept = 0;
    for (std::size_t j = 0; j < held.size(); ++j) {
      if (next_kept < plan.kept.size() && plan.kept[next_kept] == j) {
        next_kept += 1;
      } else {
        prefix_.push_back(Action::free(held[j], Content::kState, level));
      }
    }
    // Interval q starts at the q-th kept state and has slots - q snapshots.
    for (std::size_t q = 0; q < plan.kept.size(); ++q) {
      const Step begin = held[plan.kept[q]];
      const Step stop = q + 1 < plan.kept.size() ? held[plan.kept[q + 1]] : end;
      intervals_.push_back({begin, stop, slots - static_cast<std::int64_t>(q)});
    }
  }

  std::optional<Action> next() override {
    if (prefix_head_ < prefix_.size()) return prefix_[prefix_head_++];
    while (true) {
      if (current_) {
        if (std::optional<Action> action = current_->next()) return action;
        current_.reset();
      }
      if (intervals_.empty()) break;
      const Interval interval = intervals_.back();
      intervals_.pop_back();
      current_ = std::make_unique<detail::BinomialReversal>(interval.begin, interval.end,
                                                            interval.slots, level_, true, false);
    }
    if (done_) return std::nullopt;
    done_ = true;
    return Action::end_reverse();
  }

 private:
  struct Interval {
    Step begin;
    Step end;
    std::int64_t slots;
  };
  Place level_;
  Schedule prefix_;
  std::size_t prefix_head_ = 0;
  std::vector<Interval> intervals_;  // first interval first; processed from the back
  std::unique_ptr<detail::BinomialReversal> current_;
  bool done_ = false;
};

}  // namespace

Schedule OnlineDecision::actions() const {
  Schedule out;
  if (evict) out.push_back(Action::free(*evict, Content::kState, level));
  if (store) out.push_back(Action::copy(step, Content::kState, kWork, level));
  return out;
}

bool operator==(const OnlineDecision& a, const OnlineDecision& b) noexcept {
  return a.step == b.step && a.evict == b.evict && a.store == b.store && a.level == b.level;
}

std::int64_t online_reversal_advances(const std::vector<Step>& held, Step end, std::int64_t slots) {
  return plan_reversal(held, end, slots).advances;
}

OnlineCheckpointer::OnlineCheckpointer(std::int64_t slots, Place level, OnlinePolicy policy)
    : slots_(slots), level_(level), policy_(policy) {
  if (slots < 1) {
    throw std::invalid_argument("OnlineCheckpointer: needs at least one slot, got " +
                                std::to_string(slots));
  }
  if (level < 0) {
    throw std::invalid_argument("OnlineCheckpointer: bad level " + std::to_string(level));
  }
}

OnlineDecision OnlineCheckpointer::begin_step() {
  if (finished_ || last_step_recorded_) {
    throw std::logic_error("OnlineCheckpointer::begin_step: the forward run has ended");
  }
  if (steps_ >= kMaxSteps) {
    throw std::overflow_error("OnlineCheckpointer::begin_step: more than 2^62 steps");
  }
  OnlineDecision decision;
  decision.step = steps_;
  decision.level = level_;
  steps_ += 1;
  if (held_.empty()) {
    // x_0 is the one state nothing can recompute: keep it for good.
    held_.push_back({decision.step, kPermanent});
    decision.store = true;
  } else if (static_cast<std::int64_t>(held_.size()) < slots_) {
    held_.push_back({decision.step, 0});
    decision.store = true;
  } else if (held_.size() > 1) {  // with one slot only x_0 is ever held
    if (policy_ == OnlinePolicy::kWangMoinIaccarino) {
      decide_wang_moin_iaccarino(decision);
    } else {
      decide_revolve_greedy(decision);
    }
  }
  return decision;
}

// Releases held_[index] and stores the new state, keeping held_ ascending.
void OnlineCheckpointer::replace(std::size_t index, OnlineDecision& decision, std::int64_t level) {
  decision.evict = held_[index].step;
  decision.store = true;
  held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(index));
  held_.push_back({decision.step, level});
}

void OnlineCheckpointer::decide_wang_moin_iaccarino(OnlineDecision& decision) {
  // Wang, Moin & Iaccarino (2009), Algorithm 1: a checkpoint is dispensable when a later one
  // has a higher level; release the latest dispensable one and store the new state at level 0.
  std::int64_t highest_after = std::numeric_limits<std::int64_t>::min();
  for (std::size_t j = held_.size(); j-- > 1;) {
    if (held_[j].level < highest_after) {
      replace(j, decision, 0);
      return;
    }
    highest_after = std::max(highest_after, held_[j].level);
  }
  // No dispensable checkpoint (levels non-increasing): the new state replaces the latest
  // checkpoint one level above it.
  const std::int64_t level = held_.back().level + 1;
  replace(held_.size() - 1, decision, level);
}

void OnlineCheckpointer::decide_revolve_greedy(OnlineDecision& decision) {
  const std::size_t k = held_.size();
  const Step now = decision.step;  // x_now is in work; the run may end at x_{now + 1}
  auto length = [&](std::size_t j) {
    return (j + 1 < k ? held_[j + 1].step : now) - held_[j].step;
  };
  if (first_phase_) {
    // Interval j (start held_[j]) will be reversed by Revolve with slots - j snapshots; at
    // repetition number 1 it may hold beta(slots - j, 1) = slots - j + 1 steps (Griewank &
    // Walther 2000). Fill the intervals left to right up to that bound: release the first
    // checkpoint whose interval fits into its predecessor's room, and store x_now.
    for (std::size_t j = 1; j < k; ++j) {
      const std::int64_t room = slots_ - static_cast<std::int64_t>(j - 1) + 1;
      if (length(j - 1) + length(j) <= room) {
        replace(j, decision, 0);
        return;
      }
    }
    // No room left: keep going without storing while the last interval fits (its bound is
    // 2 steps), which reaches n = beta(c, 2); then switch for good.
    if (now + 1 - held_.back().step <= 2) return;
    first_phase_ = false;
  }
  // One-step look-ahead on the reversal cost if the run ended at x_{now+1}, keeping every
  // held state: cost(keep) = sum_j t(len_j, c - j) with the last interval one longer;
  // cost(replace j) = prefix_{j-1} + t(len_{j-1} + len_j, c - j + 1) + shifted suffix_{j+1},
  // the intervals after j having one more snapshot each, the new interval [now, now+1) free.
  prefix_.assign(k + 1, 0);
  suffix_.assign(k + 1, 0);
  for (std::size_t j = 0; j < k; ++j) {
    prefix_[j + 1] = saturating_add(
        prefix_[j], saturating_advances(length(j), slots_ - static_cast<std::int64_t>(j)));
  }
  for (std::size_t j = k; j-- > 1;) {
    suffix_[j] = saturating_add(
        suffix_[j + 1], saturating_advances(length(j), slots_ - static_cast<std::int64_t>(j) + 1));
  }
  std::int64_t best = saturating_add(
      prefix_[k - 1],
      saturating_advances(length(k - 1) + 1, slots_ - static_cast<std::int64_t>(k - 1)));
  std::size_t choice = k;  // k: keep
  for (std::size_t j = 1; j < k; ++j) {
    const std::int64_t merged =
        saturating_advances(length(j - 1) + length(j), slots_ - static_cast<std::int64_t>(j) + 1);
    const std::int64_t cost =
        saturating_add(saturating_add(prefix_[j - 1], merged), suffix_[j + 1]);
    if (cost < best) {
      best = cost;
      choice = j;
    }
  }
  if (choice < k) replace(choice, decision, 0);
}

void OnlineCheckpointer::begin_last_step() {
  if (finished_ || last_step_recorded_) {
    throw std::logic_error("OnlineCheckpointer::begin_last_step: the forward run has ended");
  }
  steps_ += 1;
  last_step_recorded_ = true;
}

std::unique_ptr<ActionStream> OnlineCheckpointer::finish() {
  if (finished_) throw std::logic_error("OnlineCheckpointer::finish: called twice");
  if (steps_ == 0) throw std::logic_error("OnlineCheckpointer::finish: no step was run");
  finished_ = true;
  const Step end = last_step_recorded_ ? steps_ - 1 : steps_;
  return std::make_unique<OnlineReversal>(checkpoints(), end, slots_, level_, last_step_recorded_);
}

std::vector<Step> OnlineCheckpointer::checkpoints() const {
  std::vector<Step> steps;
  steps.reserve(held_.size());
  for (const Held& h : held_) steps.push_back(h.step);
  return steps;
}

OnlineStream::OnlineStream(Step num_steps, std::int64_t slots, Place level, OnlineEnd end,
                           OnlinePolicy policy)
    : num_steps_(num_steps), end_(end), planner_(slots, level, policy) {
  if (num_steps < 1 || num_steps > kMaxSteps) {
    throw std::invalid_argument("OnlineStream: bad number of steps " + std::to_string(num_steps));
  }
}

OnlineStream::~OnlineStream() = default;
OnlineStream::OnlineStream(OnlineStream&&) noexcept = default;
OnlineStream& OnlineStream::operator=(OnlineStream&&) noexcept = default;

std::optional<Action> OnlineStream::next() {
  while (true) {
    if (pending_head_ < pending_.size()) return pending_[pending_head_++];
    pending_.clear();
    pending_head_ = 0;
    if (reversal_) return reversal_->next();
    // The planner has seen steps [0, s); the forward run from x_run_start_ is not emitted.
    const Step s = planner_.steps_begun();
    auto flush = [&](Step to) {
      if (run_start_ < to) pending_.push_back(Action::forward(run_start_, to));
      run_start_ = to;
    };
    if (s == num_steps_) {
      flush(num_steps_);
      reversal_ = planner_.finish();
      continue;
    }
    if (end_ == OnlineEnd::kBeforeLastStep && s == num_steps_ - 1) {
      flush(s);
      planner_.begin_last_step();
      pending_.push_back(Action::forward(s, num_steps_, true));
      run_start_ = num_steps_;
      continue;
    }
    const OnlineDecision decision = planner_.begin_step();
    if (decision.store || decision.evict) {
      flush(s);
      for (const Action& a : decision.actions()) pending_.push_back(a);
    }
  }
}

OnlineCheckpointerSchedule::OnlineCheckpointerSchedule(std::int64_t slots, Place level,
                                                       OnlinePolicy policy)
    : planner_(slots, level, policy) {}

std::optional<Action> OnlineCheckpointerSchedule::next() {
  if (reversal_) return reversal_->next();
  if (pending_head_ == pending_.size()) {
    // The executor asks for more only while the sweep goes on: decide on x_i, then step i.
    pending_.clear();
    pending_head_ = 0;
    const OnlineDecision decision = planner_.begin_step();
    pending_ = decision.actions();
    pending_.push_back(Action::forward(decision.step, decision.step + 1));
  }
  return pending_[pending_head_++];
}

void OnlineCheckpointerSchedule::finish(Step num_steps) {
  if (reversal_ || pending_head_ != pending_.size() || num_steps != planner_.steps_begun()) {
    throw std::logic_error("OnlineCheckpointerSchedule::finish: the sweep did not end at x_" +
                           std::to_string(num_steps) + " after the actions yielded");
  }
  reversal_ = planner_.finish();
}

std::optional<OnlineStream> online(const Chain& chain, const Platform& platform, OnlineEnd end,
                                   OnlinePolicy policy) {
  if (platform.num_levels() == 0 || platform.level(0).num_slots < 1) return std::nullopt;
  return OnlineStream(chain.num_steps(), platform.level(0).num_slots, 0, end, policy);
}

}  // namespace memsched
