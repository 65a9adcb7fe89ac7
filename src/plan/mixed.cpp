// Mixed storage checkpointing: Maddison's recurrence as a table, and the schedule rebuilt from
// its choices (Maddison, J. Comput. Sci. 82:102405, 2024; docs/theory/chain.md).
#include "memsched/plan/mixed.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/progress.hpp"

namespace memsched {

namespace {

constexpr std::int64_t kInfinite = std::numeric_limits<std::int64_t>::max() / 4;
constexpr std::int32_t kStoreAll = 0;  // k <= s + 1: store every tape
constexpr std::int32_t kTape = 1;      // store the first step's tape, solve the rest
                                       // i >= 2: store the state, advance i steps

// value[s][k] = M(k, s) and choice[s][k], 1 <= k <= n, 0 <= s <= slots.
struct MixedTable {
  std::int64_t slots = 0;
  std::vector<std::vector<std::int64_t>> value;
  std::vector<std::vector<std::int32_t>> choice;
};

void check(Step n, std::int64_t slots, const char* function) {
  if (n < 1 || n > kMaxMixedSteps) {
    throw std::invalid_argument(std::string(function) +
                                ": number of steps must be in [1, 10^5], got " + std::to_string(n));
  }
  if (slots < 0) {
    throw std::invalid_argument(std::string(function) + ": slots must be >= 0, got " +
                                std::to_string(slots));
  }
}

// The split minimum of row (k, s): min over 2 <= i < k of i + M(i, s) + M(k - i, s - 1), the
// smallest i among equal values (the published loop's strict `<` scanning i upwards). When
// M(., s) and M(., s - 1) do not decrease on the entries read (checked as the rows are built),
// every term of a block [i0, i1) is at least i0 + M(i0, s) + M(k - i1 + 1, s - 1); blocks that
// cannot beat the best term found, or tie it at a smaller i, are skipped. Integer sums: the
// minimum and its argument are exactly those of the full scan (docs/multilevel.md, "Mixed").
struct MixedSplitSearch {
  const std::int64_t* same;   // M(., s)
  const std::int64_t* below;  // M(., s - 1)
  std::int64_t k;
  std::int64_t best = kInfinite * 4;  // above every term
  std::int64_t arg = -1;

  static constexpr std::int64_t kLeaf = 64;
  static constexpr std::int64_t kFan = 32;

  void leaf(std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const std::int64_t cand = i + same[i] + below[k - i];
      if (cand < best || (cand == best && i < arg)) {
        best = cand;
        arg = i;
      }
    }
  }
  bool worth(std::int64_t i0, std::int64_t i1) const {
    const std::int64_t bound = i0 + same[i0] + below[k - i1 + 1];
    return bound < best || (bound == best && i0 < arg);
  }
  void visit(std::int64_t i0, std::int64_t i1, std::int64_t size) {
    if (i1 - i0 <= kLeaf) {
      leaf(i0, i1);
      return;
    }
    const std::int64_t sub = size / kFan;
    for (std::int64_t b = i0; b < i1; b += sub) {
      const std::int64_t e = std::min(b + sub, i1);
      if (worth(b, e)) visit(b, e, sub);
    }
  }
  // Terms i in [2, k); `hint` is a block start to evaluate first (the previous k's best).
  void run(std::int64_t& hint) {
    const std::int64_t lo = 2, hi = k;
    if (hi - lo <= 4 * kLeaf) {
      leaf(lo, hi);
      return;
    }
    const std::int64_t first = std::clamp<std::int64_t>(hint, lo, hi - kLeaf);
    leaf(first, first + kLeaf);
    std::int64_t size = kLeaf;
    while (size < hi - lo) size *= kFan;
    visit(lo, hi, size);
    hint = arg;
  }
};

MixedTable build(Step n, std::int64_t slots) {
  MixedTable t;
  t.slots = std::min<std::int64_t>(slots, n);  // more than n - 1 slots are never used
  const auto size = static_cast<std::size_t>(n + 1);
  t.value.assign(static_cast<std::size_t>(t.slots + 1), std::vector<std::int64_t>(size, kInfinite));
  t.choice.assign(static_cast<std::size_t>(t.slots + 1), std::vector<std::int32_t>(size, -1));
  for (std::int64_t s = 0; s <= t.slots; ++s) {
    report_progress("mixed table", s, t.slots + 1);
    auto& v = t.value[static_cast<std::size_t>(s)];
    auto& c = t.choice[static_cast<std::size_t>(s)];
    const std::int64_t* below = s > 0 ? t.value[static_cast<std::size_t>(s - 1)].data() : nullptr;
    // The pruned search needs M(., s - 1) on [1, n] and M(., s) on [1, k - 1] non-decreasing
    // (a longer chain never needs fewer forward steps); checked, with the full scan as the
    // fallback.
    bool monotone = true;
    for (std::int64_t k = 2; s > 0 && k <= n && monotone; ++k) monotone = below[k] >= below[k - 1];
    std::int64_t hint = 2;
    for (std::int64_t k = 1; k <= n; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      if (k <= s + 1) {
        v[uk] = k;
        c[uk] = kStoreAll;
        continue;
      }
      if (s == 0) continue;
      std::int64_t best = 1 + below[k - 1];
      std::int32_t arg = kTape;
      const std::int64_t* same = v.data();
      if (monotone) {
        MixedSplitSearch search{same, below, k};
        search.run(hint);
        if (search.arg >= 2 && search.best < best) {
          best = search.best;
          arg = static_cast<std::int32_t>(search.arg);
        }
      } else {
        for (std::int64_t i = 2; i < k; ++i) {
          const std::int64_t cand = i + same[i] + below[k - i];
          if (cand < best) {
            best = cand;
            arg = static_cast<std::int32_t>(i);
          }
        }
      }
      v[uk] = std::min(best, kInfinite);
      c[uk] = best >= kInfinite ? -1 : arg;
      monotone = monotone && v[uk] >= v[uk - 1];
    }
  }
  return t;
}

}  // namespace

std::optional<std::int64_t> mixed_forward_steps(Step num_steps, std::int64_t slots) {
  check(num_steps, slots, "mixed_forward_steps");
  const MixedTable t = build(num_steps, slots);
  const std::int64_t v =
      t.value[static_cast<std::size_t>(t.slots)][static_cast<std::size_t>(num_steps)];
  if (v >= kInfinite) return std::nullopt;
  return v;
}

std::optional<Schedule> mixed_schedule(Step num_steps, std::int64_t slots, Place level) {
  check(num_steps, slots, "mixed_schedule");
  if (level < 0) {
    throw std::invalid_argument("mixed_schedule: level must be >= 0, got " + std::to_string(level));
  }
  const MixedTable t = build(num_steps, slots);
  if (t.value[static_cast<std::size_t>(t.slots)][static_cast<std::size_t>(num_steps)] >=
      kInfinite) {
    return std::nullopt;
  }
  Schedule out;
  bool forward_ended = false;
  auto emit = [&](const Action& a) {
    if (a.kind == ActionKind::kReverse && !forward_ended) {
      out.push_back(Action::end_forward());
      forward_ended = true;
    }
    out.push_back(a);
  };
  // Explicit stack: with one slot the recursion is n deep.
  struct Task {
    Step a, b;
    std::int64_t s;
    bool is_action;
    Action action;
  };
  std::vector<Task> stack{{0, num_steps, t.slots, false, {}}};
  while (!stack.empty()) {
    const Task task = stack.back();
    stack.pop_back();
    if (task.is_action) {
      emit(task.action);
      continue;
    }
    const Step a = task.a, b = task.b, k = b - a;
    const std::int32_t choice =
        t.choice[static_cast<std::size_t>(task.s)][static_cast<std::size_t>(k)];
    if (choice == kStoreAll) {
      for (Step i = a; i + 1 < b; ++i) {
        emit(Action::forward(i, i + 1, true));
        emit(Action::move(i, Content::kTape, kWork, level));
      }
      emit(Action::forward(b - 1, b, true));
      emit(Action::reverse(b, b - 1));
      for (Step i = b - 2; i >= a; --i) {
        emit(Action::move(i, Content::kTape, level, kWork));
        emit(Action::reverse(i + 1, i));
      }
    } else if (choice == kTape) {
      emit(Action::forward(a, a + 1, true));
      emit(Action::move(a, Content::kTape, kWork, level));
      stack.push_back({0, 0, 0, true, Action::reverse(a + 1, a)});
      stack.push_back({0, 0, 0, true, Action::move(a, Content::kTape, level, kWork)});
      stack.push_back({a + 1, b, task.s - 1, false, {}});
    } else {
      const Step i = choice;
      emit(Action::copy(a, Content::kState, kWork, level));
      emit(Action::forward(a, a + i));
      stack.push_back({a, a + i, task.s, false, {}});
      stack.push_back({0, 0, 0, true, Action::move(a, Content::kState, level, kWork)});
      stack.push_back({a + i, b, task.s - 1, false, {}});
    }
  }
  out.push_back(Action::end_reverse());
  return out;
}

std::optional<Schedule> mixed(const Chain& chain, const Platform& platform) {
  const std::int64_t slots = platform.fastest_slots();
  if (chain.num_steps() > 1 && slots == 0) return std::nullopt;
  return mixed_schedule(chain.num_steps(), std::min<std::int64_t>(slots, chain.num_steps()), 0);
}

}  // namespace memsched
