// The join-graph planners (see join/plan.hpp).
#include "memsched/join/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "memsched/plan/binomial.hpp"
#include "plan/detail/binomial_reversal.hpp"

namespace memsched {

namespace {

// The limits of docs/cli.md (Limits), as for the chain planners.
constexpr double kMaxTableOperations = 2e10;
constexpr double kMaxTableBytes = 1024.0 * 1024.0 * 1024.0;

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

std::int64_t add(std::int64_t a, std::int64_t b) {
  return a >= kInfinity || b >= kInfinity ? kInfinity : std::min(a + b, kInfinity);
}

// Forward steps that reverse l steps of a chain from its stored start with s slots (the
// start's included): the l recording runs plus Revolve's t(l, s) advances; 0 for l = 0.
std::int64_t pure_reversal(Step l, std::int64_t s) {
  if (l == 0) return 0;
  if (s < 1) return kInfinity;
  return add(l, advances(l, s));
}

// A branch b != b* whose output the turn may drop and recompute j times (TurnTable below)
// pays, besides its backward-phase cost, j d: d = L - (its last persistent checkpoint). With
// exactly m >= 1 checkpoints, the last at L - d, the last interval is reversed first with
// s - m slots: G_last(s, m, d) = G(L - d, s, m - 1) + t(d, s - m); m = 0: d = L, t(L, s).
// value(j, s, m) = min over m' <= m and d of G_last(s, m', d) + j d (j = 0: G(L, s, m)).
// j d <= H L cannot overflow: the turn's table already holds more than H L entries.
class RecomputeTable {
 public:
  RecomputeTable(const BranchTable& table, Step length, std::int64_t slots,
                 std::int64_t max_recomputes)
      : slots_(slots), max_m_(table.max_checkpoints()), max_j_(max_recomputes) {
    const std::size_t size = static_cast<std::size_t>((max_j_ + 1) * (slots_ + 1) * (max_m_ + 1));
    value_.assign(size, kInfinity);
    last_.assign(size, {0, length});
    std::vector<std::int64_t> t(static_cast<std::size_t>((slots_ + 1) * (length + 1)));
    for (std::int64_t s = 0; s <= slots_; ++s) {
      for (Step d = 0; d <= length; ++d)
        t[static_cast<std::size_t>(s * (length + 1) + d)] = advances(d, s);
    }
    auto cached = [&](Step d, std::int64_t s) {
      return t[static_cast<std::size_t>(s * (length + 1) + d)];
    };
    for (std::int64_t j = 0; j <= max_j_; ++j) {
      for (std::int64_t s = 1; s <= slots_; ++s) {
        for (std::int64_t m = 0; m <= max_m_; ++m) {
          std::int64_t best = add(cached(length, s), j * length);
          std::pair<std::int64_t, Step> arg{0, length};
          if (m > 0) {
            best = value_[index(j, s, m - 1)];
            arg = last_[index(j, s, m - 1)];
            for (Step d = 1; d < length && s - m >= 1; ++d) {
              const std::int64_t v =
                  add(add(table.value_at(s, m - 1, length - d), cached(d, s - m)), j * d);
              if (v < best) {
                best = v;
                arg = {m, d};
              }
            }
          }
          value_[index(j, s, m)] = best;
          last_[index(j, s, m)] = arg;
        }
      }
    }
  }

  std::int64_t value(std::int64_t j, std::int64_t s, std::int64_t m) const {
    if (s < 1 || s > slots_) return kInfinity;
    return value_[index(j, s, std::min(m, max_m_))];
  }
  /// The checkpoint count m' and the last interval d achieving value(j, s, m).
  std::pair<std::int64_t, Step> last(std::int64_t j, std::int64_t s, std::int64_t m) const {
    return last_[index(j, s, std::min(m, max_m_))];
  }

 private:
  std::size_t index(std::int64_t j, std::int64_t s, std::int64_t m) const {
    return static_cast<std::size_t>((j * (slots_ + 1) + s) * (max_m_ + 1) + m);
  }

  std::int64_t slots_;
  std::int64_t max_m_;
  std::int64_t max_j_;
  std::vector<std::int64_t> value_;
  std::vector<std::pair<std::int64_t, Step>> last_;
};

// The turn (phase 2) as a DP over the sub-problems of the turn chain (b*'s steps [p, L), the
// join, the handle), generalising the single Revolve of the three-phase schedule in two ways
// the exhaustive search showed to be needed (docs/join.md): (1) once the join is reversed, the
// k - 1 other outputs are freed and the rest of b*'s tail gets their slots; (2) the other
// outputs need not stay stored while the handle is reversed: they may be dropped and
// recomputed, from each branch's last persistent checkpoint (checkpoint persistence lemma),
// before a later run of the join.
//
// A sub-problem: x_i stored, at distance x before the tuple of outputs (x = 0: x_i is b*'s
// output), the adjoint front y steps past the tuple (1 <= y <= H, so the join and the handle
// steps [0, y - 1) are left), s slots for it (x_i's included), and j recomputations exactly.
// Kept (K): the other outputs are stored (in s, so s >= k); dropped (D): they are not. With
// P(l, s) = pure_reversal (a plain Revolve on one side of the join) and the first checkpoint
// of the sub-problem as in Revolve (Griewank & Walther 2000, t(n, c) = min_m [m + t(m, c - 1)
// + t(n - m, c)]):
//   K(x, y, s, j) = min of  D(x, y, s, j)                                       drop them
//     y = 1, j = 0:  x + 1 + P(x, s)               run to the tuple, record the join
//     x' < x:        (x - x') + K(x', y, s - 1, j) + P(x - x', s)    checkpoint on b*'s tail
//     1 <= z < y:    x + z + P(y - z, s - k) + K(x, z, s, j)     checkpoint h_z, keep them
//                    x + z + P(y - z, s - 1) + D(x, z, s, j)     checkpoint h_z, drop them
//     y >= 2:        x + y + K(x, y - 1, s, j)   (or D)          record step y - 1, no store
//   D(x, y, s, j) = min of  K(x, y, s, j - 1)  (s >= k; the recomputation, paid outside)
//     x' < x:        (x - x') + D(x', y, s - 1, j) + P(x - x', s)
// The turn costs K(L - p, H, slots - held, j) + j R, R = sum over b != b* of d_b.
class TurnTable {
 public:
  enum class Kind : std::uint8_t { kDrop, kJoinLast, kTail, kHandle, kRecordLast, kRecompute };
  struct Option {
    Kind kind = Kind::kDrop;
    Step at = 0;       // kTail: x'; kHandle: z
    bool keep = true;  // kHandle, kRecordLast: the outputs stay stored after the join
  };

  TurnTable(Step max_tail, Step handle, std::int64_t slots, std::int32_t branches,
            std::int64_t max_recomputes)
      : max_x_(max_tail), h_(handle), slots_(slots), k_(branches), max_j_(max_recomputes) {
    const std::size_t size =
        static_cast<std::size_t>((max_j_ + 1) * (slots_ + 1) * (h_ + 1) * (max_x_ + 1));
    kept_.assign(size, kInfinity);
    dropped_.assign(size, kInfinity);
    pure_.assign(static_cast<std::size_t>((slots_ + 1) * (std::max(max_x_, h_) + 1)), kInfinity);
    for (std::int64_t s = 0; s <= slots_; ++s) {
      for (Step l = 0; l <= std::max(max_x_, h_); ++l)
        pure_[pure_index(l, s)] = pure_reversal(l, s);
    }
    std::vector<std::int64_t> tail_kept(static_cast<std::size_t>(max_x_ + 1));
    std::vector<std::int64_t> tail_dropped(static_cast<std::size_t>(max_x_ + 1));
    for (std::int64_t j = 0; j <= max_j_; ++j) {
      bool same = j > 0;  // layer j equals layer j - 1
      for (std::int64_t s = 1; s <= slots_; ++s) {
        for (Step y = 1; y <= h_; ++y) {
          tail_minima(kept_, y, s, j, tail_kept);
          tail_minima(dropped_, y, s, j, tail_dropped);
          for (Step x = 0; x <= max_x_; ++x) {
            const std::size_t at = static_cast<std::size_t>(x);
            dropped_[index(x, y, s, j)] = evaluate(false, x, y, s, j, nullptr, tail_dropped[at]);
            kept_[index(x, y, s, j)] = evaluate(true, x, y, s, j, nullptr, tail_kept[at]);
            same = same && dropped_[index(x, y, s, j)] == dropped_[index(x, y, s, j - 1)] &&
                   kept_[index(x, y, s, j)] == kept_[index(x, y, s, j - 1)];
          }
        }
      }
      if (same) {
        // Layer j + 1 is computed from layer j as layer j was from layer j - 1: every further
        // layer is the same, and j recomputations cost more than j - 1 (R >= 1).
        max_j_ = j - 1;
        break;
      }
    }
  }

  std::int64_t kept(Step x, Step y, std::int64_t s, std::int64_t j) const {
    if (s < 1 || s > slots_ || j < 0 || j > max_j_) return kInfinity;
    return kept_[index(x, y, s, j)];
  }
  std::int64_t dropped(Step x, Step y, std::int64_t s, std::int64_t j) const {
    if (s < 1 || s > slots_ || j < 0 || j > max_j_) return kInfinity;
    return dropped_[index(x, y, s, j)];
  }
  std::int64_t pure(Step l, std::int64_t s) const {
    if (s < 1) return l == 0 ? 0 : kInfinity;
    return pure_[pure_index(l, s)];
  }
  std::int64_t max_recomputes() const noexcept { return max_j_; }

  /// The cheapest option of a sub-problem (the recurrences above), its value returned.
  /// `tail`: the minimum of the options on b*'s tail if known (tail_minima), else kInfinity.
  std::int64_t evaluate(bool is_kept, Step x, Step y, std::int64_t s, std::int64_t j,
                        Option* chosen, std::int64_t tail = -1) const {
    std::int64_t best = kInfinity;
    auto offer = [&](std::int64_t v, Option option) {
      if (v < best) {
        best = v;
        if (chosen != nullptr) *chosen = option;
      }
    };
    if (is_kept) {
      if (s < k_) return kInfinity;
      if (k_ > 1) offer(dropped(x, y, s, j), {Kind::kDrop, 0, true});
      if (y == 1 && j == 0) offer(add(x + 1, pure(x, s)), {Kind::kJoinLast, 0, true});
      if (tail >= 0) {
        best = std::min(best, tail);
      } else {
        tail_options(kept_, x, y, s, j, true, chosen, best);
      }
      for (Step z = 1; z < y; ++z) {
        offer(add(add(x + z, pure(y - z, s - k_)), kept(x, z, s, j)), {Kind::kHandle, z, true});
        if (k_ > 1) {
          offer(add(add(x + z, pure(y - z, s - 1)), dropped(x, z, s, j)),
                {Kind::kHandle, z, false});
        }
      }
      if (y >= 2) {
        offer(add(x + y, kept(x, y - 1, s, j)), {Kind::kRecordLast, 0, true});
        if (k_ > 1) offer(add(x + y, dropped(x, y - 1, s, j)), {Kind::kRecordLast, 0, false});
      }
    } else {
      if (k_ == 1) return kInfinity;
      if (j >= 1 && s >= k_) offer(kept(x, y, s, j - 1), {Kind::kRecompute, 0, true});
      if (tail >= 0) {
        best = std::min(best, tail);
      } else {
        tail_options(dropped_, x, y, s, j, false, chosen, best);
      }
    }
    return std::min(best, kInfinity);
  }

 private:
  // out[x] = min over x' < x of (x - x') + child(x', y, s - 1, j) + P(x - x', s) for every x:
  // a min-plus convolution with the convex d -> d + P(d, s) (Revolve's t(d, s) is convex in d,
  // piecewise linear with slopes r = 1, 2, ...), so the smallest minimising x' is nondecreasing
  // in x (Monge) and divide and conquer finds all of them in O(X log X) instead of O(X^2).
  void tail_minima(const std::vector<std::int64_t>& child_table, Step y, std::int64_t s,
                   std::int64_t j, std::vector<std::int64_t>& out) const {
    const std::int64_t* child = &child_table[index(0, y, s - 1, j)];
    const std::int64_t* reversal = &pure_[pure_index(0, s)];
    out[0] = kInfinity;
    std::vector<Range>& stack = ranges_;
    stack.assign(1, {1, max_x_, 0, max_x_ - 1});
    while (!stack.empty()) {
      const Range r = stack.back();
      stack.pop_back();
      if (r.lo > r.hi) continue;
      const Step mid = r.lo + (r.hi - r.lo) / 2;
      std::int64_t best = kInfinity;
      Step arg = r.opt_lo;
      for (Step x2 = r.opt_lo; x2 <= std::min(mid - 1, r.opt_hi); ++x2) {
        const std::int64_t v = (mid - x2) + child[x2] + reversal[mid - x2];
        if (v < best) {
          best = v;
          arg = x2;
        }
      }
      out[static_cast<std::size_t>(mid)] = std::min(best, kInfinity);
      stack.push_back({r.lo, mid - 1, r.opt_lo, arg});
      stack.push_back({mid + 1, r.hi, arg, r.opt_hi});
    }
  }

  // The checkpoints on b*'s tail, x' < x: (x - x') + child(x', y, s - 1, j) + P(x - x', s), the
  // inner loop of the table (every term <= kInfinity = max / 4: plain sums cannot overflow).
  void tail_options(const std::vector<std::int64_t>& child_table, Step x, Step y, std::int64_t s,
                    std::int64_t j, bool is_kept, Option* chosen, std::int64_t& best) const {
    const std::int64_t* child = &child_table[index(0, y, s - 1, j)];
    const std::int64_t* reversal = &pure_[pure_index(0, s)];
    for (Step x2 = 0; x2 < x; ++x2) {
      const std::int64_t v = (x - x2) + child[x2] + reversal[x - x2];
      if (v < best) {
        best = v;
        if (chosen != nullptr) *chosen = {Kind::kTail, x2, is_kept};
      }
    }
  }

  std::size_t index(Step x, Step y, std::int64_t s, std::int64_t j) const {
    return static_cast<std::size_t>(((j * (slots_ + 1) + s) * (h_ + 1) + y) * (max_x_ + 1) + x);
  }
  std::size_t pure_index(Step l, std::int64_t s) const {
    return static_cast<std::size_t>(s * (std::max(max_x_, h_) + 1) + l);
  }

  struct Range {
    Step lo, hi, opt_lo, opt_hi;
  };
  mutable std::vector<Range> ranges_;  // tail_minima's work list, kept to reuse its storage
  Step max_x_;
  Step h_;
  std::int64_t slots_;
  std::int64_t k_;
  std::int64_t max_j_;
  std::vector<std::int64_t> kept_;
  std::vector<std::int64_t> dropped_;
  std::vector<std::int64_t> pure_;
};

// The choices of a three-phase schedule. The turn branch b* is run last in the forward phase,
// up to its checkpoint p; the turn then reverses the chain made of b*'s steps [p, L_b*), the
// join and the handle (TurnTable; p = L_b*: the handle alone, from the stored outputs).
struct Choice {
  std::int64_t cost = kInfinity;
  std::vector<std::int32_t> order;        // backward phase
  std::vector<std::int64_t> checkpoints;  // m_b: persistent checkpoints (b*: those before p)
  std::int32_t turn_branch = 0;
  Step turn_start = 0;          // p
  std::int64_t turn_slots = 0;  // slots - held: the turn's, the k - 1 other outputs included
  std::int64_t recomputes = 0;  // j: how often the turn recomputes the other outputs
  bool join_from_work = false;  // H = 1, p = L_b*: the join is recorded with b*'s output in work
};

// Everything the DP reads, built once per (graph, slots).
struct Tables {
  std::vector<BranchTable> branches;
  std::vector<RecomputeTable> recompute;
  TurnTable turn;
};

Tables make_tables(const JoinGraph& graph, std::int64_t slots, bool naive) {
  const std::int32_t k = graph.num_branches();
  const Step h = graph.handle_length();
  const std::int64_t width = std::max<std::int64_t>(slots, 1);
  // A recomputation precedes a run of the join, and the handle front moves down between two
  // such runs: at most H of them. The naive plan keeps the outputs stored.
  const std::int64_t max_j = naive || k == 1 ? 0 : h;
  Step longest = 0;
  for (std::int32_t b = 0; b < k; ++b) longest = std::max(longest, graph.branch_length(b));
  TurnTable turn(naive ? 0 : longest, h, width, k, max_j);
  std::vector<BranchTable> branches;
  std::vector<RecomputeTable> recompute;
  for (std::int32_t b = 0; b < k; ++b) {
    const Step length = graph.branch_length(b);
    const std::int64_t max_m =
        naive ? 0 : std::max<std::int64_t>(0, std::min(slots - 1, length - 1));
    branches.emplace_back(length, width, max_m);
    recompute.emplace_back(branches.back(), length, width, turn.max_recomputes());
  }
  return Tables{std::move(branches), std::move(recompute), std::move(turn)};
}

Choice best_choice(const JoinGraph& graph, std::int64_t slots, bool naive, const Tables& tables) {
  const std::int32_t k = graph.num_branches();
  const Step h = graph.handle_length();
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
      const BranchTable& turn_table = tables.branches[static_cast<std::size_t>(turn)];
      for (Step p = naive ? turn_length : 0; p <= turn_length; ++p) {
        const std::int64_t max_turn_m = p <= 1 ? 0 : std::min(turn_table.max_checkpoints(), p - 1);
        for (std::int64_t turn_m = 0; turn_m <= max_turn_m; ++turn_m) {
          for (std::int64_t j = 0; j <= tables.turn.max_recomputes(); ++j) {
            // Layered DP, last reversed branch first: cost[i][u], u = slots held until their
            // turn by the branches reversed after position i (input and checkpoints). With j
            // recomputations in the turn, a branch b != b* also pays j d_b (RecomputeTable).
            for (auto& row : cost) std::fill(row.begin(), row.end(), kInfinity);
            cost[layers][0] = 0;
            for (std::size_t i = layers; i-- > 0;) {
              const std::int32_t b = order[i];
              const BranchTable& table = tables.branches[static_cast<std::size_t>(b)];
              const RecomputeTable& again = tables.recompute[static_cast<std::size_t>(b)];
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
                  offer(m, 1 + m, again.value(j, s, m));
                }
              }
            }
            for (std::size_t u = 0; u < width; ++u) {
              if (cost[0][u] >= kInfinity) continue;
              const std::int64_t held = static_cast<std::int64_t>(u);
              // The turn's slots: b*'s x_p, the k - 1 other outputs, and its snapshots.
              const std::int64_t turn_slots = slots - held;
              std::int64_t turn_cost = tables.turn.kept(turn_length - p, h, turn_slots, j);
              bool from_work = false;
              if (j == 0 && h == 1 && p == turn_length && held + k - 1 <= slots) {
                turn_cost = 1;
                from_work = true;
              }
              if (turn_cost >= kInfinity) continue;
              const std::int64_t total = others_forward + 2 * p + cost[0][u] + turn_cost;
              if (total < best.cost) {
                best.cost = total;
                best.order = order;
                best.turn_branch = turn;
                best.turn_start = p;
                best.turn_slots = turn_slots;
                best.recomputes = j;
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
    }
  } while (!naive && std::next_permutation(order.begin(), order.end()));
  return best;
}

// Appends actions; EndForward goes right before the first Reverse (the handle's last step,
// recorded by the run that reached the loss).
class Emitter {
 public:
  Emitter(JoinSchedule& out, std::int32_t handle) : out_(out), handle_(handle) {}
  void operator()(std::int32_t chain, const Action& action) {
    if (action.kind == ActionKind::kReverse && !ended_forward_) {
      out_.push_back({handle_, Action::end_forward()});
      ended_forward_ = true;
    }
    out_.push_back({chain, action});
  }

 private:
  JoinSchedule& out_;
  std::int32_t handle_;
  bool ended_forward_ = false;
};

// Writes the turn's actions by following TurnTable's choices.
class TurnWriter {
 public:
  TurnWriter(const JoinGraph& graph, const TurnTable& table, Emitter& emit, std::int32_t turn,
             Step p, std::vector<Step> recompute_from)
      : graph_(graph),
        table_(table),
        emit_(emit),
        turn_(turn),
        p_(p),
        a_(graph.branch_length(turn) - p),
        recompute_from_(std::move(recompute_from)) {}

  void write(bool kept, Step x, Step y, std::int64_t s, std::int64_t j) {
    TurnTable::Option option;
    const std::int64_t value = table_.evaluate(kept, x, y, s, j, &option);
    const std::int64_t stored = kept ? table_.kept(x, y, s, j) : table_.dropped(x, y, s, j);
    if (value >= kInfinity || value != stored) {
      throw std::logic_error("plan_join: the turn's table is inconsistent");
    }
    const std::int32_t handle = graph_.handle();
    switch (option.kind) {
      case TurnTable::Kind::kDrop:
        free_outputs();
        write(false, x, y, s, j);
        break;
      case TurnTable::Kind::kRecompute:
        for (std::int32_t b = 0; b < graph_.num_branches(); ++b) {
          if (b == turn_) continue;
          const Step from = recompute_from_[static_cast<std::size_t>(b)];
          const Step out = graph_.branch_length(b);
          emit_(b, Action::copy(from, Content::kState, 0, kWork));
          emit_(b, Action::forward(from, out));
          emit_(b, Action::copy(out, Content::kState, kWork, 0));
        }
        write(true, x, y, s, j - 1);
        break;
      case TurnTable::Kind::kJoinLast:
        if (x == 0) {
          emit_(turn_, Action::move(step(0), Content::kState, 0, kWork));
        } else {
          load(x);
          emit_(turn_, Action::forward(step(x), step(0)));
        }
        emit_(handle, Action::forward(0, 1, true));
        emit_(handle, Action::reverse(1, 0));
        free_outputs();
        tail(x, 0, s);
        break;
      case TurnTable::Kind::kTail:
        load(x);
        emit_(turn_, Action::forward(step(x), step(option.at)));
        emit_(turn_, Action::copy(step(option.at), Content::kState, kWork, 0));
        write(kept, option.at, y, s - 1, j);
        tail(x, option.at, s);
        break;
      case TurnTable::Kind::kHandle: {
        const Step z = option.at;
        sweep(x, z);
        if (!option.keep) free_outputs();
        emit_(handle, Action::copy(z, Content::kState, kWork, 0));
        const std::int64_t handle_slots = option.keep ? s - graph_.num_branches() : s - 1;
        detail::BinomialReversal reversal(z, y, handle_slots, 0, true, false);
        while (std::optional<Action> act = reversal.next()) emit_(handle, *act);
        write(option.keep, x, z, s, j);
        break;
      }
      case TurnTable::Kind::kRecordLast:
        sweep(x, y - 1);
        emit_(handle, Action::forward(y - 1, y, true));
        emit_(handle, Action::reverse(y, y - 1));
        if (!option.keep) free_outputs();
        write(option.keep, x, y - 1, s, j);
        break;
    }
  }

 private:
  // b*'s step at distance x before its output.
  Step step(Step x) const { return p_ + a_ - x; }
  void load(Step x) { emit_(turn_, Action::copy(step(x), Content::kState, 0, kWork)); }
  // From x_i (distance x) through the join to h_z, z >= 1.
  void sweep(Step x, Step z) {
    load(x);
    if (x > 0) emit_(turn_, Action::forward(step(x), step(0)));
    emit_(graph_.handle(), Action::forward(0, z));
  }
  void free_outputs() {
    for (std::int32_t b = 0; b < graph_.num_branches(); ++b) {
      if (b != turn_) emit_(b, Action::free(graph_.branch_length(b), Content::kState, 0));
    }
  }
  // Reverses b*'s steps between distances x (stored) and x2 < x, the join being reversed.
  void tail(Step x, Step x2, std::int64_t s) {
    if (x == x2) return;
    detail::BinomialReversal reversal(step(x), step(x2), s, 0, true, false);
    while (std::optional<Action> act = reversal.next()) emit_(turn_, *act);
  }

  const JoinGraph& graph_;
  const TurnTable& table_;
  Emitter& emit_;
  std::int32_t turn_;
  Step p_;
  Step a_;
  std::vector<Step> recompute_from_;
};

// Refuses, before any table is allocated, a graph whose tables would not finish: the work and
// memory bounds of plan_join's contract with J = H recomputation layers and c capped at the
// graph's steps (more slots are never used).
void check_size(const JoinGraph& graph, std::int64_t slots) {
  const double k = graph.num_branches();
  double factorial = 1;
  for (std::int32_t i = 2; i <= graph.num_branches(); ++i) factorial *= i;
  double l = 0;
  for (const Step length : graph.branch_lengths()) l = std::max(l, static_cast<double>(length));
  const double h = static_cast<double>(graph.handle_length());
  const double c = std::min(static_cast<double>(slots), l * k + h) + 1;
  const double operations = h * c * h * l * (std::log2(l + 1) + h) + k * l * l * c * c +
                            k * h * l * c * c + factorial * k * k * l * c * c * c * h;
  // A value and an argument per entry: 16 bytes (measured: 1.7 GB for (1000, 1000; 100), 10 slots).
  const double bytes = 16 * (h * c * h * l + k * l * c * c);
  char estimate[160];
  if (operations > kMaxTableOperations || bytes > kMaxTableBytes) {
    std::snprintf(estimate, sizeof estimate,
                  "about %.2g operations and %.0f MiB (limits %.2g operations, %.0f MiB)",
                  operations, bytes / 1048576, kMaxTableOperations, kMaxTableBytes / 1048576);
    throw std::length_error(
        "plan_join: refused before planning: the tables for branches of up "
        "to " +
        std::to_string(static_cast<Step>(l)) + " steps, a handle of " +
        std::to_string(graph.handle_length()) + " and " + std::to_string(slots) +
        " slots would take " + estimate);
  }
}

std::optional<JoinPlan> build(const JoinGraph& graph, std::int64_t slots, bool naive) {
  if (slots < 0) {
    throw std::invalid_argument("plan_join: negative slot count " + std::to_string(slots));
  }
  const std::int32_t k = graph.num_branches();
  check_size(graph, slots);
  const Tables tables = make_tables(graph, slots, naive);
  const Choice choice = best_choice(graph, slots, naive, tables);
  if (choice.cost >= kInfinity) return std::nullopt;
  const std::int32_t turn = choice.turn_branch;
  const Step p = choice.turn_start;
  const std::int64_t j = choice.recomputes;

  JoinPlan plan;
  plan.reverse_order = choice.order;
  plan.turn_slots = choice.turn_slots;
  plan.forward_steps = choice.cost;
  plan.turn_branch = turn;
  plan.turn_start = p;
  plan.recomputations = j;
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
    const std::size_t bi = static_cast<std::size_t>(b);
    const std::int64_t m = choice.checkpoints[bi];
    const BranchTable& table = tables.branches[bi];
    if (b == turn) {
      if (p > 0) plan.checkpoints[bi] = table.positions(branch_slots[bi], m, p);
      continue;
    }
    // RecomputeTable's choice: m' checkpoints, the last at L - d.
    const auto [used, d] = tables.recompute[bi].last(j, branch_slots[bi], m);
    if (used == 0) continue;
    const Step length = graph.branch_length(b);
    plan.checkpoints[bi] = table.positions(branch_slots[bi], used - 1, length - d);
    plan.checkpoints[bi].push_back(length - d);
  }

  const std::int32_t handle = graph.handle();
  Emitter emit(plan.schedule, handle);
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
  // (2) Turn.
  if (choice.join_from_work) {
    emit(handle, Action::forward(0, 1, true));
    emit(handle, Action::reverse(1, 0));
    for (std::int32_t b = 0; b < k; ++b) {
      if (b != turn) emit(b, Action::free(graph.branch_length(b), Content::kState, 0));
    }
  } else {
    std::vector<Step> recompute_from(static_cast<std::size_t>(k), 0);
    for (std::int32_t b = 0; b < k; ++b) {
      const auto& positions = plan.checkpoints[static_cast<std::size_t>(b)];
      if (b != turn && !positions.empty()) {
        recompute_from[static_cast<std::size_t>(b)] = positions.back();
      }
    }
    TurnWriter writer(graph, tables.turn, emit, turn, p, std::move(recompute_from));
    writer.write(true, graph.branch_length(turn) - p, graph.handle_length(), choice.turn_slots, j);
  }
  // (3) Backward phase: branch after branch, interval after interval (last first), each by
  // Revolve with the slots of the branch minus the checkpoints still held before it.
  for (std::int32_t b : choice.order) {
    const Step prefix = b == turn ? p : graph.branch_length(b);
    if (prefix == 0) continue;
    std::vector<Step> starts{0};
    for (Step c : plan.checkpoints[static_cast<std::size_t>(b)]) starts.push_back(c);
    for (std::size_t i = starts.size(); i-- > 0;) {
      const Step end = i + 1 < starts.size() ? starts[i + 1] : prefix;
      detail::BinomialReversal reversal(
          starts[i], end, branch_slots[static_cast<std::size_t>(b)] - static_cast<std::int64_t>(i),
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

}  // namespace memsched
