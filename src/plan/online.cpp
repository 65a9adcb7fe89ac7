// Online checkpointing: Wang-Moin-Iaccarino dynamic storage, then the optimal Revolve-based
// reversal of the checkpoints held when the end is announced.
#include "memsched/plan/online.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>

#include "detail/binomial_reversal.hpp"
#include "memsched/plan/binomial.hpp"

namespace memsched {

namespace {

constexpr std::int64_t kPermanent = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUnreachable = std::numeric_limits<std::int64_t>::max();

// Above this many held states the DP only considers dropping a bounded number of them (see
// plan_reversal): the full DP is O(k^3) closed-form evaluations.
constexpr std::size_t kFullDpLimit = 24;
constexpr std::int64_t kMaxDropsLargeK = 12;

// The exact DP (plan_general) runs while end * min(k, slots) is at most this; beyond, the
// keep/drop DP (plan_keep_drop), which is cheaper but ignores shifted starts.
constexpr std::int64_t kGeneralDpLimit = std::int64_t{1} << 16;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  return a > kUnreachable - b ? kUnreachable : a + b;
}

// t(len, d), or kUnreachable when n + t does not fit in 64 bits. The greedy decisions ask for
// the same few (length, snapshots) pairs at every step (one per held interval), each a
// repetition number found by O(log n) binomials in 128-bit arithmetic: a small direct-mapped
// cache per thread answers repeats in O(1), which keeps a step's work O(slots) additions.
std::int64_t saturating_advances(Step length, std::int64_t snapshots) {
  struct Entry {
    Step length = -1;
    std::int64_t snapshots = -1;
    std::int64_t value = 0;
  };
  thread_local std::array<Entry, 4096> cache;
  const std::uint64_t hash = static_cast<std::uint64_t>(length) * 0x9E3779B97F4A7C15ULL ^
                             static_cast<std::uint64_t>(snapshots) * 0xC2B2AE3D27D4EB4FULL;
  Entry& entry = cache[static_cast<std::size_t>(hash >> 52)];
  if (entry.length == length && entry.snapshots == snapshots) return entry.value;
  std::int64_t value = kUnreachable;
  try {
    value = revolve_advances(length, snapshots);
  } catch (const std::overflow_error&) {
  }
  entry = {length, snapshots, value};
  return value;
}

struct ReversalPlan {
  std::int64_t advances = 0;
  std::vector<std::size_t> kept;  // indices into `held`, ascending, kept[0] == 0
  // starts[q] >= held[kept[q]]: where the q-th kept interval begins. When greater, the kept
  // state is restored once, advanced to starts[q], released, and x_starts[q] stored instead.
  std::vector<Step> starts;
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
// starved of slots, which the Wang-Moin-Iaccarino levels avoid). This is plan_reversal with
// every shift s_q = 0: exact for the sets the policies produce (tests), not for all sets.
ReversalPlan plan_keep_drop(const std::vector<Step>& held, Step end, std::int64_t slots) {
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
    plan.starts.push_back(held[j]);
    const std::size_t l = next[j * width + d];
    d += l - j - 1;
    j = l;
  }
  return plan;
}

// t(x, d) for x = 0..max_length (t(0, d) = t(1, d) = 0), incrementally: t(x, d) - t(x-1, d)
// = r(x, d), the repetition number of x steps, which follows from the closed form
// t = r*x - beta(d+1, r-1) and Pascal's rule beta(d+1, r) - beta(d+1, r-1) = beta(d, r)
// (Griewank & Walther 2000). O(max_length) additions and O(r) binomials.
std::vector<std::int64_t> advances_table(Step max_length, std::int64_t snapshots) {
  std::vector<std::int64_t> table(static_cast<std::size_t>(max_length) + 1, 0);
  std::int64_t r = 0;
  std::int64_t bound = beta(snapshots, 0);  // = 1: x steps need r with beta(d, r) >= x
  for (Step x = 2; x <= max_length; ++x) {
    while (bound < x) bound = beta(snapshots, ++r);
    table[static_cast<std::size_t>(x)] = table[static_cast<std::size_t>(x) - 1] + r;
  }
  return table;
}

// The exact reversal of an arbitrary held set ("Revolve with checkpoints pre-placed").
//
// Model (docs/theory/chain.md, counting convention): states only, the front at E, x_E in the
// working buffer (useless), the
// held states h_0 = 0 < ... < h_{k-1} < E stored, `slots` slots in all. Claim: an optimal
// schedule is described by kept held states h_{j_0} = 0 < h_{j_1} < ... < h_{j_{s-1}} and
// starts p_q in [h_{j_q}, h_{j_q + 1}) (p_0 = 0): the other held states are released at once,
// each kept state h_{j_q} with p_q > h_{j_q} is restored, advanced to p_q, released and x_{p_q}
// stored in its slot, and interval q = [p_q, p_{q+1}) (p_s = E) is reversed by Revolve with
// the slots - q snapshots its predecessors leave. Its advances are
//   sum_q (p_q - h_{j_q}) + sum_q t(p_{q+1} - p_q, slots - q).
// Why this family contains an optimum: (1) while the front is above the highest held state
// still stored, only that state is worth restoring (a lower one reaches nothing it does not
// reach more cheaply), so the reversal above it is a Revolve-like recursion from it with the
// slots the lower states leave; (2) such a recursion either keeps its start until the front
// reaches it (Revolve, t) or releases it after its last use, an advance to some p that then
// takes its slot; before that last use the start serves checkpoints above p with one slot
// less, exactly Revolve's own recursion t(l, d) = min_j [j + t(l - j, d - 1) + t(j, d)]
// (Griewank 1992), so the cheapest way to end the recursion at p is to advance to p at once:
// (p - h) + t(E - p, d), the part [h, p) falling to the next kept state below; (3) a start
// beyond the next held state is never better than keeping that state instead (shorter
// advance, same slots). The exhaustive search confirms it on every held set with n <= 9,
// c <= 4 (tests/plan/online_test.cpp).
//
// DP over q (the number of kept states before the current one) and the start p, every
// position p < E belonging to one gap [h_j, h_{j+1}):
//   F_0(0) = 0,
//   F_q(p) = (p - h_j) + min_{p' < h_j} [ F_{q-1}(p') + t(p - p', slots - q + 1) ],
//   answer = min_{q, p} [ F_q(p) + t(E - p, slots - q) ].
// t(., d) is convex (its increments r(x, d) grow), so the matrix F_{q-1}(p') + t(p - p', d)
// is Monge and its row minima have non-decreasing arguments (the allowed columns p' < h_j
// form a staircase growing with p); divide and conquer finds all of them in O(E log E).
// In all O(min(k, slots) * E log E) time and O(min(k, slots) * E) memory.
ReversalPlan plan_general(const std::vector<Step>& held, Step end, std::int64_t slots) {
  const std::size_t k = held.size();
  const std::size_t levels = static_cast<std::size_t>(
      std::min<std::int64_t>(static_cast<std::int64_t>(k), slots));  // q = 0 .. levels - 1
  const std::size_t positions = static_cast<std::size_t>(end);
  std::vector<std::vector<std::int64_t>> t(levels);
  for (std::size_t q = 0; q < levels; ++q) {
    t[q] = advances_table(end, slots - static_cast<std::int64_t>(q));
  }
  // gap_start[p] = h_j for the gap [h_j, h_{j+1}) holding p.
  std::vector<Step> gap_start(positions);
  for (std::size_t j = 0; j < k; ++j) {
    const Step stop = j + 1 < k ? held[j + 1] : end;
    for (Step p = held[j]; p < stop; ++p) gap_start[static_cast<std::size_t>(p)] = held[j];
  }
  std::vector<std::int64_t> previous(positions, kUnreachable);
  std::vector<std::int64_t> current(positions, kUnreachable);
  std::vector<std::vector<Step>> argument(levels);
  previous[0] = 0;
  std::int64_t best = t[0][positions];
  std::size_t best_q = 0;
  Step best_p = 0;
  for (std::size_t q = 1; q < levels && held.size() > q; ++q) {
    const std::vector<std::int64_t>& kernel = t[q - 1];
    std::vector<Step>& arg = argument[q];
    arg.assign(positions, -1);
    std::fill(current.begin(), current.end(), kUnreachable);
    // Rows p in [row_lo, row_hi], candidate columns [col_lo, col_hi].
    auto solve = [&](auto&& self, Step row_lo, Step row_hi, Step col_lo, Step col_hi) -> void {
      if (row_lo > row_hi) return;
      const Step p = row_lo + (row_hi - row_lo) / 2;
      const Step limit = std::min(col_hi, gap_start[static_cast<std::size_t>(p)] - 1);
      std::int64_t value = kUnreachable;
      Step choice = col_lo;
      for (Step c = col_lo; c <= limit; ++c) {
        const std::int64_t base = previous[static_cast<std::size_t>(c)];
        if (base == kUnreachable) continue;
        const std::int64_t here = saturating_add(base, kernel[static_cast<std::size_t>(p - c)]);
        if (here < value) {
          value = here;
          choice = c;
        }
      }
      if (value != kUnreachable) {
        current[static_cast<std::size_t>(p)] =
            saturating_add(value, p - gap_start[static_cast<std::size_t>(p)]);
        arg[static_cast<std::size_t>(p)] = choice;
      }
      self(self, row_lo, p - 1, col_lo, choice);
      self(self, p + 1, row_hi, choice, col_hi);
    };
    solve(solve, held[q], end - 1, 0, end - 1);
    for (Step p = held[q]; p < end; ++p) {
      const std::int64_t value = current[static_cast<std::size_t>(p)];
      if (value == kUnreachable) continue;
      const std::int64_t total = saturating_add(value, t[q][static_cast<std::size_t>(end - p)]);
      if (total < best) {
        best = total;
        best_q = q;
        best_p = p;
      }
    }
    std::swap(previous, current);
  }
  ReversalPlan plan;
  plan.advances = best;
  std::vector<Step> starts{best_p};
  for (std::size_t q = best_q; q > 0; --q) {
    starts.push_back(argument[q][static_cast<std::size_t>(starts.back())]);
  }
  std::reverse(starts.begin(), starts.end());
  for (Step p : starts) {
    const Step h = gap_start[static_cast<std::size_t>(p)];
    plan.kept.push_back(
        static_cast<std::size_t>(std::lower_bound(held.begin(), held.end(), h) - held.begin()));
    plan.starts.push_back(p);
  }
  return plan;
}

ReversalPlan plan_reversal(const std::vector<Step>& held, Step end, std::int64_t slots) {
  check_held(held, end, slots);
  const std::int64_t levels = std::min<std::int64_t>(static_cast<std::int64_t>(held.size()), slots);
  if (levels == 1) {  // x_0 alone: Revolve
    return {saturating_advances(end, slots), {0}, {0}};
  }
  if (end <= kGeneralDpLimit / levels) {
    return plan_general(held, end, slots);
  }
  return plan_keep_drop(held, end, slots);
}

// The reversal of the held checkpoints: EndForward (and the adjoint of a recorded last step),
// the release of the dropped states, Revolve on each kept interval, last first, EndReverse.
class OnlineReversal final : public ActionStream {
 public:
  OnlineReversal(const std::vector<Step>& held, const OnlineReversalPlan& plan, Step end,
                 std::int64_t slots, Place level, bool last_step_recorded)
      : level_(level) {
    prefix_.push_back(Action::end_forward());
    if (last_step_recorded) {
      prefix_.push_back(Action::reverse(end + 1, end));
    }
    if (end == 0) return;
    for (Step h : held) {
      if (!std::binary_search(plan.kept.begin(), plan.kept.end(), h)) {
        prefix_.push_back(Action::free(h, Content::kState, level));
      }
    }
    // A kept state whose interval starts later is restored (and released: its last use),
    // advanced to the start, which takes its slot. Done up front: the slot count is the same.
    for (std::size_t q = 0; q < plan.kept.size(); ++q) {
      const Step h = plan.kept[q];
      if (plan.starts[q] == h) continue;
      prefix_.push_back(Action::move(h, Content::kState, level, kWork));
      prefix_.push_back(Action::forward(h, plan.starts[q]));
      prefix_.push_back(Action::copy(plan.starts[q], Content::kState, kWork, level));
    }
    // Interval q starts at the q-th kept start and has slots - q snapshots.
    for (std::size_t q = 0; q < plan.kept.size(); ++q) {
      const Step stop = q + 1 < plan.kept.size() ? plan.starts[q + 1] : end;
      intervals_.push_back({plan.starts[q], stop, slots - static_cast<std::int64_t>(q)});
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

OnlineReversalPlan online_reversal_plan(const std::vector<Step>& held, Step end,
                                        std::int64_t slots) {
  const ReversalPlan plan = plan_reversal(held, end, slots);
  OnlineReversalPlan out;
  out.advances = plan.advances;
  for (std::size_t j : plan.kept) out.kept.push_back(held[j]);
  out.starts = plan.starts;
  return out;
}

std::int64_t online_keep_drop_advances(const std::vector<Step>& held, Step end,
                                       std::int64_t slots) {
  check_held(held, end, slots);
  return plan_keep_drop(held, end, slots).advances;
}

std::unique_ptr<ActionStream> online_reversal(const std::vector<Step>& held, Step end,
                                              std::int64_t slots, Place level) {
  if (level < 0) {
    throw std::invalid_argument("online_reversal: bad level " + std::to_string(level));
  }
  return detail::online_reversal(held, online_reversal_plan(held, end, slots), end, slots, level,
                                 false);
}

std::unique_ptr<ActionStream> detail::online_reversal(const std::vector<Step>& held,
                                                      const OnlineReversalPlan& plan, Step end,
                                                      std::int64_t slots, Place level,
                                                      bool last_step_recorded) {
  return std::make_unique<OnlineReversal>(held, plan, end, slots, level, last_step_recorded);
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

OnlineDecision OnlineCheckpointer::decide_step() {
  if (finished_ || last_step_recorded_) {
    throw std::logic_error("OnlineCheckpointer::decide_step: the forward run has ended");
  }
  if (steps_ >= kMaxSteps) {
    throw std::overflow_error("OnlineCheckpointer::decide_step: more than 2^62 steps");
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

// Releases the checkpoint at `position` and stores the new state, keeping held_ ascending.
void OnlineCheckpointer::replace(HeldList::iterator position, OnlineDecision& decision,
                                 std::int64_t level) {
  decision.evict = position->step;
  decision.store = true;
  held_.erase(position);
  held_.push_back({decision.step, level});
}

void OnlineCheckpointer::decide_wang_moin_iaccarino(OnlineDecision& decision) {
  // Wang, Moin & Iaccarino (2009), Algorithm 1: a checkpoint is dispensable when a later one
  // has a higher level; release the latest dispensable one and store the new state at level 0.
  std::int64_t highest_after = std::numeric_limits<std::int64_t>::min();
  for (auto j = std::prev(held_.end()); j != held_.begin(); --j) {
    if (j->level < highest_after) {
      replace(j, decision, 0);
      return;
    }
    highest_after = std::max(highest_after, j->level);
  }
  // No dispensable checkpoint (levels non-increasing): the new state replaces the latest
  // checkpoint one level above it.
  const std::int64_t level = held_.back().level + 1;
  replace(std::prev(held_.end()), decision, level);
}

std::int64_t OnlineCheckpointer::GrowingAdvances::at(Step new_length, std::int64_t new_snapshots) {
  if (!valid || new_snapshots != snapshots || new_length < length) {
    valid = true;
    length = new_length;
    snapshots = new_snapshots;
    value = saturating_advances(length, snapshots);
    if (value != kUnreachable) {
      repetition = repetition_number(length, snapshots);
      bound = beta(snapshots, repetition);
    }
    return value;
  }
  while (length < new_length) {
    length += 1;
    if (value == kUnreachable) continue;  // t grows with the length
    // t(x, d) - t(x - 1, d) = r(x, d), the least r with beta(d, r) >= x.
    while (bound < length) bound = beta(snapshots, ++repetition);
    // revolve_advances' own bounds: r * x below kBinomialSaturation, x + t within 64 bits.
    if (length > (kBinomialSaturation - 1) / repetition ||
        value > std::numeric_limits<std::int64_t>::max() - length - repetition) {
      value = kUnreachable;
    } else {
      value += repetition;
    }
  }
  return value;
}

// The second phase's sums for the held set, from the first interval that changed (g.dirty)
// on: a release at index r changes intervals r - 1 onwards only, and the greedy releases
// near the end (within the last 50 of 1000 checkpoints on nearly every release measured), so
// this is O(k - r) closed forms per release rather than O(k). With
//   B_j = pre_sum[j-1] + t(len_{j-1} + len_j, c - j + 1) - suf_sum[j+1]   (1 <= j <= k - 2),
// the cost of replacing j less the last interval's term is B_j + suf_sum[k-1], so the best
// replacement before the last pair is the first minimiser of B_j, kept as prefix minima. The
// differences are exact while every sum stays below 2^61; beyond, g.exact turns off and each
// step evaluates the look-ahead in full with saturating sums (decide_greedy_saturated).
void OnlineCheckpointer::update_greedy_costs() {
  GreedyState& g = greedy_;
  const std::size_t k = held_.size();
  constexpr std::int64_t kExactBound = std::int64_t{1} << 61;
  if (!g.built) {
    g.at.clear();
    for (auto it = held_.begin(); it != held_.end(); ++it) g.at.push_back(it);
    g.len.assign(k - 1, 0);
    for (std::size_t i = 0; i + 1 < k; ++i) g.len[i] = g.at[i + 1]->step - g.at[i]->step;
    g.pre_sum.assign(k, 0);
    g.suf_sum.assign(k, 0);
    g.min_value.assign(k - 1, 0);
    g.min_index.assign(k - 1, 0);
    g.dirty = 0;
    g.built = true;
  }
  const std::size_t from = g.dirty;
  g.dirty = k;  // clean
  const auto c = slots_;
  for (std::size_t j = from + 1; j < k; ++j) {
    g.pre_sum[j] = saturating_add(
        g.pre_sum[j - 1], saturating_advances(g.len[j - 1], c - static_cast<std::int64_t>(j - 1)));
  }
  for (std::size_t j = std::max<std::size_t>(from, 1) + 1; j < k; ++j) {
    g.suf_sum[j] =
        saturating_add(g.suf_sum[j - 1],
                       saturating_advances(g.len[j - 1], c - static_cast<std::int64_t>(j - 1) + 1));
  }
  if (g.pre_sum[k - 1] >= kExactBound || g.suf_sum[k - 1] >= kExactBound) g.exact = false;
  for (std::size_t j = std::max<std::size_t>(from, 1); j + 1 < k && g.exact; ++j) {
    const std::int64_t merged =
        saturating_advances(g.len[j - 1] + g.len[j], c - static_cast<std::int64_t>(j) + 1);
    if (merged >= kExactBound) {
      g.exact = false;
      break;
    }
    const std::int64_t b = g.pre_sum[j - 1] + merged - g.suf_sum[j + 1];
    if (j == 1 || b < g.min_value[j - 1]) {
      g.min_value[j] = b;
      g.min_index[j] = j;
    } else {
      g.min_value[j] = g.min_value[j - 1];
      g.min_index[j] = g.min_index[j - 1];
    }
  }
}

// The one-step look-ahead evaluated in full, with saturating sums: O(k) closed forms per step,
// for held sets whose costs come near 2^63.
void OnlineCheckpointer::decide_greedy_saturated(OnlineDecision& decision, Step last_length) {
  const std::size_t k = held_.size();
  std::vector<Step> lengths;
  lengths.reserve(k);
  for (auto j = held_.begin(), next = std::next(j); next != held_.end(); ++j, ++next) {
    lengths.push_back(next->step - j->step);
  }
  lengths.push_back(last_length);
  std::vector<std::int64_t> prefix(k + 1, 0);
  std::vector<std::int64_t> suffix(k + 1, 0);
  for (std::size_t j = 0; j < k; ++j) {
    prefix[j + 1] = saturating_add(
        prefix[j], saturating_advances(lengths[j], slots_ - static_cast<std::int64_t>(j)));
  }
  for (std::size_t j = k; j-- > 1;) {
    suffix[j] = saturating_add(
        suffix[j + 1], saturating_advances(lengths[j], slots_ - static_cast<std::int64_t>(j) + 1));
  }
  std::int64_t best = saturating_add(
      prefix[k - 1],
      saturating_advances(lengths[k - 1] + 1, slots_ - static_cast<std::int64_t>(k - 1)));
  std::size_t choice = k;  // k: keep
  for (std::size_t j = 1; j < k; ++j) {
    const std::int64_t merged =
        saturating_advances(lengths[j - 1] + lengths[j], slots_ - static_cast<std::int64_t>(j) + 1);
    const std::int64_t cost = saturating_add(saturating_add(prefix[j - 1], merged), suffix[j + 1]);
    if (cost < best) {
      best = cost;
      choice = j;
    }
  }
  if (choice < k) {
    replace(std::next(held_.begin(), static_cast<std::ptrdiff_t>(choice)), decision, 0);
  }
}

void OnlineCheckpointer::decide_revolve_greedy(OnlineDecision& decision) {
  GreedyState& g = greedy_;
  const std::size_t k = held_.size();
  const Step now = decision.step;  // x_now is in work; the run may end at x_{now + 1}
  const Step last_length = now - held_.back().step;
  if (first_phase_) {
    // Interval j (start h_j) will be reversed by Revolve with slots - j snapshots; at
    // repetition number 1 it may hold beta(slots - j, 1) = slots - j + 1 steps (Griewank &
    // Walther 2000). Fill the intervals left to right up to that bound: release the first
    // checkpoint whose interval fits into its predecessor's room, and store x_now. The pairs
    // before g.fill had no room when last looked at and have not changed since: the search
    // resumes there (each step moves it back by at most one: O(1) amortised).
    if (!g.fill_valid) {
      g.fill_valid = true;
      g.fill_index = 1;
      g.fill = std::next(held_.begin());
    }
    auto previous = std::prev(g.fill);
    for (std::size_t j = g.fill_index; j < k; ++j, ++previous) {
      const auto current = std::next(previous);
      const auto after = std::next(current);
      const Step before = current->step - previous->step;
      const Step here = (after == held_.end() ? now : after->step) - current->step;
      const std::int64_t room = slots_ - static_cast<std::int64_t>(j - 1) + 1;
      if (before + here <= room) {
        replace(current, decision, 0);
        // Pairs before j - 1 keep their intervals; pair j - 1 gains interval j's steps.
        g.fill_index = j > 1 ? j - 1 : 1;
        g.fill = j > 1 ? previous : std::next(held_.begin());
        return;
      }
    }
    // No room: only the last pair, whose interval grows, is looked at again.
    g.fill_index = k - 1;
    g.fill = std::prev(held_.end());
    // Keep going without storing while the last interval fits (its bound is 2 steps), which
    // reaches n = beta(c, 2); then switch for good.
    if (last_length + 1 <= 2) return;
    first_phase_ = false;
  }
  // One-step look-ahead on the reversal cost if the run ended at x_{now+1}, keeping every
  // held state: cost(keep) = sum_j t(len_j, c - j) with the last interval one longer;
  // cost(replace j) = prefix_{j-1} + t(len_{j-1} + len_j, c - j + 1) + shifted suffix_{j+1},
  // the intervals after j having one more snapshot each, the new interval [now, now+1) free.
  // Only the last interval's length changes between two releases, so the rest is kept up to
  // date per release (update_greedy_costs) and each step evaluates three growing terms: keep,
  // the best replacement before the last pair, and the last pair.
  if (g.exact) update_greedy_costs();
  if (!g.exact) {
    decide_greedy_saturated(decision, last_length);
    return;
  }
  const std::int64_t c = slots_;
  const auto kk = static_cast<std::int64_t>(k);
  std::int64_t best =
      saturating_add(g.pre_sum[k - 1], g.keep_advances.at(last_length + 1, c - kk + 1));
  std::size_t choice = k;  // k: keep
  if (k >= 3) {
    // Exact: B_j + suf_sum[k-1] is below 2^62 (update_greedy_costs).
    const std::int64_t inner = g.min_value[k - 2] + g.suf_sum[k - 1];
    const std::int64_t cost = saturating_add(inner, g.inner_advances.at(last_length, c - kk + 2));
    if (cost < best) {
      best = cost;
      choice = g.min_index[k - 2];
    }
  }
  const std::int64_t cost =
      saturating_add(g.pre_sum[k - 2], g.last_advances.at(g.len[k - 2] + last_length, c - kk + 2));
  if (cost < best) choice = k - 1;
  if (choice == k) return;
  // Release h_choice and store x_now: interval choice - 1 absorbs interval choice (the last,
  // growing one when choice = k - 1), the intervals after it move down one index, and the
  // interval that was growing becomes fixed.
  replace(g.at[choice], decision, 0);
  if (choice + 1 < k) {
    g.len[choice - 1] += g.len[choice];
    g.len.erase(g.len.begin() + static_cast<std::ptrdiff_t>(choice));
    g.len.push_back(last_length);
  } else {
    g.len[k - 2] += last_length;
  }
  g.at.erase(g.at.begin() + static_cast<std::ptrdiff_t>(choice));
  g.at.push_back(std::prev(held_.end()));
  g.dirty = std::min(g.dirty, choice - 1);
}

Schedule OnlineCheckpointer::begin_last_step() {
  if (finished_ || last_step_recorded_) {
    throw std::logic_error("OnlineCheckpointer::begin_last_step: the forward run has ended");
  }
  steps_ += 1;
  last_step_recorded_ = true;
  return {};
}

std::unique_ptr<ActionStream> OnlineCheckpointer::finish() {
  if (finished_) throw std::logic_error("OnlineCheckpointer::finish: called twice");
  if (steps_ == 0) throw std::logic_error("OnlineCheckpointer::finish: no step was run");
  finished_ = true;
  const Step end = last_step_recorded_ ? steps_ - 1 : steps_;
  const std::vector<Step> held = checkpoints();
  return detail::online_reversal(
      held, end == 0 ? OnlineReversalPlan{} : online_reversal_plan(held, end, slots_), end, slots_,
      level_, last_step_recorded_);
}

std::vector<Step> OnlineCheckpointer::checkpoints() const {
  std::vector<Step> steps;
  steps.reserve(held_.size());
  for (const Held& h : held_) steps.push_back(h.step);
  return steps;
}

OnlineStream::OnlineStream(Step num_steps, std::int64_t slots, Place level, OnlineEnd end,
                           OnlinePolicy policy)
    : inner_(std::make_unique<OnlineCheckpointer>(slots, level, policy), num_steps, end) {}

OnlineStream::~OnlineStream() = default;
OnlineStream::OnlineStream(OnlineStream&&) noexcept = default;
OnlineStream& OnlineStream::operator=(OnlineStream&&) noexcept = default;

std::optional<OnlineStream> online(const Chain& chain, const Platform& platform, OnlineEnd end,
                                   OnlinePolicy policy) {
  if (platform.num_levels() == 0 || platform.level(0).num_slots < 1) return std::nullopt;
  return OnlineStream(chain.num_steps(), platform.level(0).num_slots, 0, end, policy);
}

}  // namespace memsched
