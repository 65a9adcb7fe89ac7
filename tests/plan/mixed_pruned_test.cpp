// Tests of Mixed's pruned split search: the schedules (every choice, ties included) are exactly
// those of the published loop over every split, rebuilt here from a plain table.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "memsched/plan/mixed.hpp"

namespace memsched {
namespace {

constexpr std::int64_t kInf = std::int64_t{1} << 60;

// The published loop: value and choice of M(k, s), 0 = store all, 1 = tape, i >= 2 = split,
// the smallest i among equal values, the tape winning its ties.
struct PlainMixed {
  std::vector<std::vector<std::int64_t>> value, choice;
};

PlainMixed plain_mixed(Step n, std::int64_t slots) {
  PlainMixed t;
  const auto size = static_cast<std::size_t>(n + 1);
  t.value.assign(static_cast<std::size_t>(slots + 1), std::vector<std::int64_t>(size, kInf));
  t.choice.assign(static_cast<std::size_t>(slots + 1), std::vector<std::int64_t>(size, -1));
  for (std::int64_t s = 0; s <= slots; ++s) {
    auto& v = t.value[static_cast<std::size_t>(s)];
    auto& c = t.choice[static_cast<std::size_t>(s)];
    for (std::int64_t k = 1; k <= n; ++k) {
      const auto uk = static_cast<std::size_t>(k);
      if (k <= s + 1) {
        v[uk] = k;
        c[uk] = 0;
        continue;
      }
      if (s == 0) continue;
      const auto& below = t.value[static_cast<std::size_t>(s - 1)];
      std::int64_t best = 1 + below[uk - 1];
      std::int64_t arg = 1;
      for (std::int64_t i = 2; i < k; ++i) {
        const std::int64_t cand =
            i + v[static_cast<std::size_t>(i)] + below[static_cast<std::size_t>(k - i)];
        if (cand < best) {
          best = cand;
          arg = i;
        }
      }
      v[uk] = std::min(best, kInf);
      c[uk] = arg;
    }
  }
  return t;
}

// The schedule of steps [a, b) with s slots, in mixed_schedule's order (level 0).
void emit(const PlainMixed& t, Step a, Step b, std::int64_t s, Schedule& out) {
  const std::int64_t choice =
      t.choice[static_cast<std::size_t>(s)][static_cast<std::size_t>(b - a)];
  if (choice == 0) {
    for (Step i = a; i + 1 < b; ++i) {
      out.push_back(Action::forward(i, i + 1, true));
      out.push_back(Action::move(i, Content::kTape, kWork, 0));
    }
    out.push_back(Action::forward(b - 1, b, true));
    out.push_back(Action::reverse(b, b - 1));
    for (Step i = b - 2; i >= a; --i) {
      out.push_back(Action::move(i, Content::kTape, 0, kWork));
      out.push_back(Action::reverse(i + 1, i));
    }
  } else if (choice == 1) {
    out.push_back(Action::forward(a, a + 1, true));
    out.push_back(Action::move(a, Content::kTape, kWork, 0));
    emit(t, a + 1, b, s - 1, out);
    out.push_back(Action::move(a, Content::kTape, 0, kWork));
    out.push_back(Action::reverse(a + 1, a));
  } else {
    out.push_back(Action::copy(a, Content::kState, kWork, 0));
    out.push_back(Action::forward(a, a + choice));
    emit(t, a + choice, b, s - 1, out);
    out.push_back(Action::move(a, Content::kState, 0, kWork));
    emit(t, a, a + choice, s, out);
  }
}

Schedule plain_schedule(Step n, std::int64_t s) {
  const PlainMixed t = plain_mixed(n, s);
  Schedule body;
  emit(t, 0, n, s, body);
  Schedule out;
  bool ended = false;
  for (const Action& a : body) {
    if (a.kind == ActionKind::kReverse && !ended) {
      out.push_back(Action::end_forward());
      ended = true;
    }
    out.push_back(a);
  }
  out.push_back(Action::end_reverse());
  return out;
}

TEST(MixedPruned, SchedulesEqualThePublishedLoop) {
  // Sizes where the pruned search runs (more than 256 candidate splits) and every slot count
  // from 1 to 12: the action sequences, hence every choice, are identical.
  for (const Step n : {300, 777, 2000}) {
    for (std::int64_t s = 1; s <= 12; ++s) {
      const auto fast = mixed_schedule(n, s);
      ASSERT_TRUE(fast.has_value());
      const Schedule plain = plain_schedule(n, s);
      ASSERT_EQ(fast->size(), plain.size()) << n << " " << s;
      for (std::size_t i = 0; i < plain.size(); ++i) {
        ASSERT_TRUE((*fast)[i] == plain[i]) << n << " " << s << " action " << i;
      }
    }
  }
}

}  // namespace
}  // namespace memsched
