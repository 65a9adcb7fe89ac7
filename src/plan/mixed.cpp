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
      for (std::int64_t i = 2; i < k; ++i) {
        const std::int64_t cand = i + same[i] + below[k - i];
        if (cand < best) {
          best = cand;
          arg = static_cast<std::int32_t>(i);
        }
      }
      v[uk] = std::min(best, kInfinite);
      c[uk] = best >= kInfinite ? -1 : arg;
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
