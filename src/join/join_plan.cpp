// The join-graph planners (see join_plan.hpp).
#include "memsched/join/join_plan.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "memsched/plan/binomial.hpp"
#include "plan/binomial_reversal.hpp"

namespace memsched::join {

namespace {

constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max() / 4;

std::int64_t advances(Step length, std::int64_t snapshots) {
  if (length <= 1) return 0;
  if (snapshots < 1) return kInfinity;
  try {
    return std::min(revolve_advances(length, snapshots), kInfinity);
  } catch (const std::overflow_error&) {
    return kInfinity;
  }
}

// G(l, s, m) for one branch: the fewest advances that reverse a branch of l steps with s slots
// (its input's included) when up to m first-level checkpoints were placed during the forward
// phase for free. The first interval [0, i) is reversed last, with s slots; the rest with
// s - 1 (Griewank & Walther's recursion t(n, c) = min_i [i + t(i, c) + t(n - i, c - 1)] with
// the advance i prepaid): G(l, s, m) = min(G(l, s, m - 1), min_i [t(i, s) + G(l - i, s - 1,
// m - 1)]), G(l, s, 0) = t(l, s).
class BranchTable {
 public:
  BranchTable(Step length, std::int64_t slots, std::int64_t max_checkpoints)
      : length_(length), slots_(slots), max_m_(max_checkpoints) {
    const std::size_t size = static_cast<std::size_t>((slots + 1) * (max_m_ + 1) * (length + 1));
    value_.assign(size, kInfinity);
    split_.assign(size, 0);
    for (std::int64_t s = 1; s <= slots; ++s) {
      for (Step l = 1; l <= length; ++l) at(s, 0, l) = advances(l, s);
    }
    for (std::int64_t m = 1; m <= max_m_; ++m) {
      for (std::int64_t s = 1; s <= slots; ++s) {
        for (Step l = 1; l <= length; ++l) {
          std::int64_t best = at(s, m - 1, l);
          Step choice = 0;
          if (s >= 2) {
            for (Step i = 1; i < l; ++i) {
              const std::int64_t v = at(s, 0, i) + at(s - 1, m - 1, l - i);
              if (v < best) {
                best = v;
                choice = i;
              }
            }
          }
          at(s, m, l) = best;
          split_[index(s, m, l)] = choice;
        }
      }
    }
  }

  std::int64_t value(std::int64_t s, std::int64_t m) const {
    if (s < 1 || s > slots_) return kInfinity;
    return value_[index(s, std::min(m, max_m_), length_)];
  }
  /// G(l, s, m) for a prefix of l <= length steps.
  std::int64_t value_at(std::int64_t s, std::int64_t m, Step l) const {
    if (s < 1 || s > slots_) return kInfinity;
    return value_[index(s, std::min(m, max_m_), l)];
  }
  std::int64_t max_checkpoints() const noexcept { return max_m_; }

  /// The checkpoint positions achieving value(s, m), ascending.
  std::vector<Step> positions(std::int64_t s, std::int64_t m, Step l) const {
    std::vector<Step> out;
    Step start = 0;
    m = std::min(m, max_m_);
    while (m > 0) {
      const Step i = split_[index(s, m, l)];
      if (i == 0) {
        m -= 1;
        continue;
      }
      start += i;
      out.push_back(start);
      l -= i;
      s -= 1;
      m -= 1;
    }
    return out;
  }

 private:
  std::size_t index(std::int64_t s, std::int64_t m, Step l) const {
    return static_cast<std::size_t>((s * (max_m_ + 1) + m) * (length_ + 1) + l);
  }
  std::int64_t& at(std::int64_t s, std::int64_t m, Step l) { return value_[index(s, m, l)]; }

  Step length_;
  std::int64_t slots_;
  std::int64_t max_m_;
  std::vector<std::int64_t> value_;
  std::vector<Step> split_;
};

// The choices of a three-phase schedule. The turn branch b* is run last in the forward phase,
// up to its checkpoint p; the turn then reverses, by one Revolve, the chain made of b*'s steps
// [p, L_b*), the join and the handle (p = L_b*: the handle alone, from the stored outputs).
struct Choice {
  std::int64_t cost = kInfinity;
  std::vector<std::int32_t> order;        // backward phase
  std::vector<std::int64_t> checkpoints;  // m_b: persistent checkpoints (b*: those before p)
  std::int32_t turn_branch = 0;
  Step turn_start = 0;  // p
  std::int64_t turn_slots = 0;
  bool join_from_work = false;  // H = 1, p = L_b*: the join is recorded with b*'s output in work
};

Choice best_choice(const JoinGraph& graph, std::int64_t slots, bool naive) {
  const std::int32_t k = graph.num_branches();
  const Step h = graph.handle_length();
  std::vector<BranchTable> tables;
  for (std::int32_t b = 0; b < k; ++b) {
    const Step length = graph.branch_length(b);
    const std::int64_t max_m =
        naive ? 0 : std::max<std::int64_t>(0, std::min(slots - 1, length - 1));
    tables.emplace_back(length, std::max<std::int64_t>(slots, 1), max_m);
  }
  std::vector<std::int32_t> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  Choice best;
  const std::size_t width = static_cast<std::size_t>(slots) + 1;
  const std::size_t layers = static_cast<std::size_t>(k);
  std::vector<std::vector<std::int64_t>> cost(layers + 1, std::vector<std::int64_t>(width));
  std::vector<std::vector<std::int64_t>> pick(layers + 1, std::vector<std::int64_t>(width));
  std::int64_t others_forward = 0;  // 2 L_b over every branch but b*, set per b*
  do {
    for (std::int32_t turn = 0; turn < k; ++turn) {
      if (naive && turn != k - 1) continue;
      const Step turn_length = graph.branch_length(turn);
      others_forward = 0;
      for (std::int32_t b = 0; b < k; ++b) {
        if (b != turn) others_forward += 2 * graph.branch_length(b);
      }
      const BranchTable& turn_table = tables[static_cast<std::size_t>(turn)];
      for (Step p = naive ? turn_length : 0; p <= turn_length; ++p) {
        const std::int64_t max_turn_m = p <= 1 ? 0 : std::min(turn_table.max_checkpoints(), p - 1);
        for (std::int64_t turn_m = 0; turn_m <= max_turn_m; ++turn_m) {
          // Layered DP, last reversed branch first: cost[i][u], u = slots held until their
          // turn by the branches reversed after position i (input and checkpoints).
          for (auto& row : cost) std::fill(row.begin(), row.end(), kInfinity);
          cost[layers][0] = 0;
          for (std::size_t i = layers; i-- > 0;) {
            const std::int32_t b = order[i];
            const BranchTable& table = tables[static_cast<std::size_t>(b)];
            for (std::size_t u = 0; u < width; ++u) {
              const std::int64_t before = cost[i + 1][u];
              if (before >= kInfinity) continue;
              const std::int64_t s = slots - static_cast<std::int64_t>(u);
              auto offer = [&](std::int64_t m, std::int64_t usage, std::int64_t g) {
                const std::size_t next = u + static_cast<std::size_t>(usage);
                if (g >= kInfinity || next >= width) return;
                if (before + g < cost[i][next]) {
                  cost[i][next] = before + g;
                  pick[i][next] = m;
                }
              };
              if (b == turn) {
                if (p == 0) {
                  offer(0, 0, 0);  // nothing of b* is left after the turn
                } else if (turn_m + 1 <= s) {
                  offer(turn_m, 1 + turn_m, table.value_at(s, turn_m, p));
                }
                continue;
              }
              for (std::int64_t m = 0; m <= table.max_checkpoints() && m + 1 <= s; ++m) {
                offer(m, 1 + m, table.value(s, m));
              }
            }
          }
          for (std::size_t u = 0; u < width; ++u) {
            if (cost[0][u] >= kInfinity) continue;
            const std::int64_t held = static_cast<std::int64_t>(u);
            // During the turn: what the branches hold, b*'s x_p, and the k - 1 other outputs.
            std::int64_t turn_cost = kInfinity;
            std::int64_t turn_slots = 0;
            bool from_work = false;
            if (h == 1 && p == turn_length) {
              if (held + k - 1 <= slots) {
                turn_cost = 1;
                from_work = true;
              }
            } else {
              turn_slots = slots - held - k + 1;  // x_p is the start: one of its snapshots
              const Step chain = turn_length - p + h;
              if (turn_slots >= 1) turn_cost = chain + advances(chain, turn_slots);
            }
            if (turn_cost >= kInfinity) continue;
            const std::int64_t total = others_forward + 2 * p + cost[0][u] + turn_cost;
            if (total < best.cost) {
              best.cost = total;
              best.order = order;
              best.turn_branch = turn;
              best.turn_start = p;
              best.turn_slots = turn_slots;
              best.join_from_work = from_work;
              best.checkpoints.assign(static_cast<std::size_t>(k), 0);
              std::size_t at = u;
              for (std::size_t i = 0; i < layers; ++i) {
                const std::int32_t b = order[i];
                const std::int64_t m = pick[i][at];
                if (b == turn && p == 0) continue;
                best.checkpoints[static_cast<std::size_t>(b)] = m;
                at -= 1 + static_cast<std::size_t>(m);
              }
            }
          }
        }
      }
    }
  } while (!naive && std::next_permutation(order.begin(), order.end()));
  return best;
}

class Emitter {
 public:
  explicit Emitter(JoinSchedule& out) : out_(out) {}
  void operator()(std::int32_t chain, const Action& action) { out_.push_back({chain, action}); }

 private:
  JoinSchedule& out_;
};

std::optional<JoinPlan> build(const JoinGraph& graph, std::int64_t slots, bool naive) {
  if (slots < 0) {
    throw std::invalid_argument("plan_join: negative slot count " + std::to_string(slots));
  }
  const std::int32_t k = graph.num_branches();
  const Step h = graph.handle_length();
  const Choice choice = best_choice(graph, slots, naive);
  if (choice.cost >= kInfinity) return std::nullopt;
  const std::int32_t turn = choice.turn_branch;
  const Step p = choice.turn_start;
  const Step turn_length = graph.branch_length(turn);

  JoinPlan plan;
  plan.reverse_order = choice.order;
  plan.handle_slots = choice.turn_slots;
  plan.forward_steps = choice.cost;
  plan.turn_branch = turn;
  plan.turn_start = p;
  // Slots of each branch in the backward phase, and its checkpoint positions.
  std::vector<std::int64_t> branch_slots(static_cast<std::size_t>(k), 0);
  {
    std::int64_t later = 0;
    for (std::size_t i = static_cast<std::size_t>(k); i-- > 0;) {
      const std::int32_t b = choice.order[i];
      if (b == turn && p == 0) continue;
      branch_slots[static_cast<std::size_t>(b)] = slots - later;
      later += 1 + choice.checkpoints[static_cast<std::size_t>(b)];
    }
  }
  plan.checkpoints.resize(static_cast<std::size_t>(k));
  for (std::int32_t b = 0; b < k; ++b) {
    const Step prefix = b == turn ? p : graph.branch_length(b);
    if (prefix == 0) continue;
    const std::int64_t m = choice.checkpoints[static_cast<std::size_t>(b)];
    const BranchTable table(graph.branch_length(b), slots,
                            std::min<std::int64_t>(m, std::max<Step>(0, prefix - 1)));
    plan.checkpoints[static_cast<std::size_t>(b)] =
        table.positions(branch_slots[static_cast<std::size_t>(b)], m, prefix);
  }

  Emitter emit(plan.schedule);
  const std::int32_t handle = graph.handle();
  // (1) Forward phase: every branch once, storing its persistent checkpoints and its output;
  // the turn branch last, up to p.
  std::vector<std::int32_t> forward_order;
  for (std::int32_t b = 0; b < k; ++b) {
    if (b != turn) forward_order.push_back(b);
  }
  forward_order.push_back(turn);
  // x^0_0 starts in work; like every input it is kept until its branch is reversed.
  emit(0, Action::copy(0, Content::kState, kWork, 0));
  bool input_in_work = true;  // the working buffer holds x^0_0
  for (std::int32_t b : forward_order) {
    const bool skip_load = (b == 0 && input_in_work) || (b == turn && p == 0);
    if (!skip_load) emit(b, Action::copy(0, Content::kState, 0, kWork));
    input_in_work = false;
    const Step stop = b == turn ? p : graph.branch_length(b);
    Step at = 0;
    for (Step c : plan.checkpoints[static_cast<std::size_t>(b)]) {
      emit(b, Action::forward(at, c));
      emit(b, Action::copy(c, Content::kState, kWork, 0));
      at = c;
    }
    if (stop > at) emit(b, Action::forward(at, stop));
    const bool store_end = b != turn ? true : (p > 0 && !choice.join_from_work);
    if (store_end && stop > 0) emit(b, Action::copy(stop, Content::kState, kWork, 0));
  }
  // (2) Turn: Revolve on b*'s steps [p, L), the join and the handle, as one chain whose
  // position q is x^{b*}_{p+q} for q <= L - p and h_{q - (L - p)} after; position L - p on the
  // handle side is the tuple of outputs, which needs no action of its own.
  const Step a = turn_length - p;
  auto free_other_outputs = [&] {
    for (std::int32_t b = 0; b < k; ++b) {
      if (b != turn) emit(b, Action::free(graph.branch_length(b), Content::kState, 0));
    }
  };
  if (choice.join_from_work) {
    emit(handle, Action::forward(0, 1, true));
    emit(handle, Action::end_forward());
    emit(handle, Action::reverse(1, 0));
    free_other_outputs();
  } else {
    detail::BinomialReversal reversal(0, a + h, choice.turn_slots, 0, true, true);
    while (std::optional<Action> act = reversal.next()) {
      switch (act->kind) {
        case ActionKind::kForward: {
          const Step q0 = act->begin;
          const Step q1 = act->end;
          if (q1 <= a) {
            emit(turn, Action::forward(p + q0, p + q1, act->flag));
          } else if (q0 >= a) {
            emit(handle, Action::forward(q0 - a, q1 - a, act->flag));
          } else {
            emit(turn, Action::forward(p + q0, turn_length));
            emit(handle, Action::forward(0, q1 - a, act->flag));
          }
          break;
        }
        case ActionKind::kReverse:
          if (act->end <= a) {
            emit(turn, Action::reverse(p + act->end, p + act->begin));
          } else {
            emit(handle, Action::reverse(act->end - a, act->begin - a));
            if (act->begin == a) {
              free_other_outputs();
              if (a == 0) emit(turn, Action::free(turn_length, Content::kState, 0));
            }
          }
          break;
        case ActionKind::kCopy:
        case ActionKind::kMove:
        case ActionKind::kFree: {
          const Step q = act->step;
          if (a == 0 && q == 0) break;  // the tuple of stored outputs
          Action mapped = *act;
          if (q <= a) {
            mapped.step = p + q;
            emit(turn, mapped);
          } else {
            mapped.step = q - a;
            emit(handle, mapped);
          }
          break;
        }
        case ActionKind::kEndForward:
        case ActionKind::kEndReverse:
          emit(handle, *act);
          break;
      }
    }
  }
  // (3) Backward phase: branch after branch, interval after interval (last first), each by
  // Revolve with the slots of the branch minus the checkpoints still held before it.
  for (std::int32_t b : choice.order) {
    const Step prefix = b == turn ? p : graph.branch_length(b);
    if (prefix == 0) continue;
    std::vector<Step> starts{0};
    for (Step c : plan.checkpoints[static_cast<std::size_t>(b)]) starts.push_back(c);
    for (std::size_t j = starts.size(); j-- > 0;) {
      const Step end = j + 1 < starts.size() ? starts[j + 1] : prefix;
      detail::BinomialReversal reversal(
          starts[j], end, branch_slots[static_cast<std::size_t>(b)] - static_cast<std::int64_t>(j),
          0, true, false);
      while (std::optional<Action> act = reversal.next()) emit(b, *act);
    }
  }
  emit(handle, Action::end_reverse());
  return plan;
}

}  // namespace

std::optional<JoinPlan> plan_join(const JoinGraph& graph, std::int64_t slots) {
  return build(graph, slots, false);
}

std::optional<JoinPlan> plan_join_naive(const JoinGraph& graph, std::int64_t slots) {
  return build(graph, slots, true);
}

}  // namespace memsched::join
