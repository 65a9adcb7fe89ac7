// Checks the online planner's schedules for every length n in 1..max_n and every slot count c
// in 1..max_c, both end modes (docs/online.md, "Legality"), without replaying every action of
// every schedule: that is sum_n ~3.5 n actions, ~10^12 for n <= 10^5 and c <= 50. Exits 1 at
// the first bad schedule.
//
//     build/release/bench/online_legality [max_n = 100000] [max_c = 50] [full_n = 300]
//                                         [follow_n = 10000]
//
// What is checked (docs/online.md, "Legality", says the same in prose), for each c and each n,
// end known after the last step (the chain ends at x_n) and before it (step n - 1 recorded):
//  1. The forward sweep: one OnlineCheckpointer per c is driven step by step and every
//     decision (Free, Copy) and unit Forward is replayed by one Simulator (chain of max_n + 1
//     steps, c slots); before step i the simulator's level 0 must hold exactly the planner's
//     checkpoints() and x_i must be in the working buffer. The decisions for steps < n do not
//     depend on n (the planner never sees it), so this one replay covers every n's sweep.
//  2. The reversal of every n: the stream OnlineCheckpointer::finish() returns, built by
//     detail::online_reversal from online_reversal_plan (the same calls finish() makes). A
//     fresh Simulator on n steps is brought to the state after the sweep and replays the
//     stream's prefix (EndForward, the recorded step's adjoint, releases, shifted starts); its
//     level 0 must then hold exactly the plan's starts. The rest, Revolve on each kept
//     interval [a, b) with s = c - q snapshots, last first, is checked at the level of
//     intervals (front == b, x_a held, held - 1 + s <= c; then front = a, x_a released; in
//     the end front 0 and nothing held; advances as the plan says).
//  3. Each distinct (b - a, s) once (check_new): the interval's actions shifted to [0, b - a)
//     replayed from that state, by induction on Revolve's first decision, the rest compared
//     with already checked intervals by a composable hash. For n <= follow_n the emitted
//     stream is consumed down to its lowest new interval; beyond, new intervals are checked on
//     their own stream and the emitted one only up to its last interval's first action.
//  4. For n <= full_n every schedule is also replayed whole (OnlineStream through simulate).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/online.hpp"

namespace {

using memsched::Action;
using memsched::ActionStream;
using memsched::Chain;
using memsched::Content;
using memsched::OnlineEnd;
using memsched::Platform;
using memsched::Simulator;
using memsched::Step;

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// A 64-bit polynomial hash of action sequences that composes under concatenation and under
// shifting every step index by a constant: an action hashes to k(kind, content, flag, from,
// to) + P * (positions), linear in the positions, so a sequence shifted by m hashes to
// h + m * w, w being the hash of the positions' weights (arithmetic modulo 2^64).
constexpr std::uint64_t kBase = 0x9e3779b97f4a7c15ull;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool is_range(const Action& a) {
  return a.kind == memsched::ActionKind::kForward || a.kind == memsched::ActionKind::kReverse;
}

std::uint64_t weight(const Action& a) {
  return is_range(a) ? 0x2545f4914f6cdd1dull + 0x5851f42d4c957f2dull : 0x14057b7ef767814full;
}

std::uint64_t value(const Action& a) {
  const std::uint64_t k = splitmix(
      static_cast<std::uint64_t>(a.kind) * 1000003u ^ static_cast<std::uint64_t>(a.content) * 31u ^
      static_cast<std::uint64_t>(a.flag) * 7u ^ static_cast<std::uint64_t>(a.from + 2) * 131u ^
      static_cast<std::uint64_t>(a.to + 2) * 8191u);
  if (is_range(a)) {
    return k + 0x2545f4914f6cdd1dull * static_cast<std::uint64_t>(a.begin) +
           0x5851f42d4c957f2dull * static_cast<std::uint64_t>(a.end);
  }
  return k + 0x14057b7ef767814full * static_cast<std::uint64_t>(a.step);
}

Action shift_back(Action a, Step offset) {
  if (is_range(a)) {
    a.begin -= offset;
    a.end -= offset;
  } else {
    a.step -= offset;
  }
  return a;
}

struct SeqHash {
  std::uint64_t h = 0;
  std::uint64_t w = 0;
  std::uint64_t power = 1;
  std::int64_t length = 0;

  void push(const Action& a) {
    h = h * kBase + value(a);
    w = w * kBase + weight(a);
    power *= kBase;
    length += 1;
  }
  // Appends `other` shifted by +shift.
  void append(const SeqHash& other, Step shift) {
    h = h * other.power + other.h + static_cast<std::uint64_t>(shift) * other.w;
    w = w * other.power + other.w;
    power *= other.power;
    length += other.length;
  }
  bool operator==(const SeqHash& o) const { return h == o.h && w == o.w && length == o.length; }
  bool operator!=(const SeqHash& o) const { return !(*this == o); }
};

struct Interval {
  SeqHash full;
  SeqHash tail;  // without the first action (a restore of x_0)
  Action first;
  std::int64_t forward_steps = 0;  // recordings included
};

struct Stats {
  long long schedules = 0;
  long long full_replays = 0;
  long long full_actions = 0;
  long long intervals = 0;            // distinct (length, slots) checked
  long long replayed_actions = 0;     // of them, replayed by a Simulator
  long long hashed_actions = 0;       // emitted actions compared by hash with checked intervals
  long long reference_intervals = 0;  // checked on their own stream (n > follow_n)
};

class Checker {
 public:
  Checker(Step max_n, std::int64_t slots, Step full_n, Step follow_n, Stats& stats)
      : max_n_(max_n),
        slots_(slots),
        full_n_(full_n),
        follow_n_(follow_n),
        platform_(Platform::ram(slots)),
        stats_(stats) {}

  void run() {
    memsched::OnlineCheckpointer planner(slots_);
    const Chain long_chain(max_n_ + 1);
    Simulator sweep(long_chain, platform_);
    for (Step i = 0; i <= max_n_; ++i) {
      const std::vector<Step> held = planner.checkpoints();
      if (sweep.working_step() != i ||
          sweep.occupancy(0) != static_cast<std::int64_t>(held.size())) {
        fail("sweep state differs from the planner before step " + std::to_string(i));
      }
      for (Step h : held) {
        if (!sweep.holds(0, h, Content::kState)) fail("x_" + std::to_string(h) + " not held");
      }
      if (i >= 1) check(held, i, i, OnlineEnd::kAfterLastStep);
      if (i + 1 <= max_n_) check(held, i + 1, i, OnlineEnd::kBeforeLastStep);
      if (i == max_n_) break;
      const memsched::OnlineDecision decision = planner.decide_step();
      for (const Action& a : decision.actions()) sweep.apply(a);
      sweep.apply(Action::forward(i, i + 1));
    }
  }

 private:
  // The schedule for n steps whose sweep ended at x_end (end = n, or n - 1 with step n - 1
  // recorded) holding `held`.
  void check(const std::vector<Step>& held, Step n, Step end, OnlineEnd mode) {
    const bool recorded = mode == OnlineEnd::kBeforeLastStep;
    const std::string where = "n = " + std::to_string(n) + ", c = " + std::to_string(slots_) +
                              (recorded ? ", end before the last step" : "");
    stats_.schedules += 1;
    const memsched::OnlineReversalPlan plan =
        end == 0 ? memsched::OnlineReversalPlan{}
                 : memsched::online_reversal_plan(held, end, slots_);
    std::unique_ptr<ActionStream> stream =
        memsched::detail::online_reversal(held, plan, end, slots_, 0, recorded);
    const Chain chain(n);
    Simulator sim(chain, platform_);
    for (std::size_t j = 0; j < held.size(); ++j) {
      sim.apply(Action::copy(held[j], Content::kState, memsched::kWork, 0));
      const Step next = j + 1 < held.size() ? held[j + 1] : end;
      if (next > held[j]) sim.apply(Action::forward(held[j], next));
    }
    if (recorded) sim.apply(Action::forward(end, n, true));
    // The prefix: EndForward, [the recorded step's adjoint], releases, shifted starts.
    std::size_t shifted = 0;
    for (std::size_t q = 0; q < plan.kept.size(); ++q) shifted += plan.starts[q] != plan.kept[q];
    const std::size_t prefix =
        1 + (recorded ? 1 : 0) + (held.size() - plan.kept.size()) + 3 * shifted;
    try {
      for (std::size_t k = 0; k < prefix; ++k) {
        const std::optional<Action> a = stream->next();
        if (!a) fail("stream ended in its prefix");
        sim.apply(*a);
      }
      if (end == 0) {
        const std::optional<Action> a = stream->next();
        if (!a) fail("no EndReverse");
        sim.apply(*a);
        if (stream->next()) fail("actions after EndReverse");
        sim.finish();
        return;
      }
    } catch (const memsched::ScheduleError& e) {
      fail(where + ": " + e.what());
    }
    if (sim.front() != end || sim.occupancy(0) != static_cast<std::int64_t>(plan.starts.size())) {
      fail(where + ": wrong state after the prefix");
    }
    for (Step p : plan.starts) {
      if (!sim.holds(0, p, Content::kState)) fail(where + ": start not held");
    }
    // The intervals, last first, at the level of intervals; and the advances.
    std::int64_t held_count = sim.occupancy(0);
    Step front = end;
    std::int64_t advances = 0;
    std::size_t lowest_new = plan.starts.size();
    for (std::size_t q = plan.starts.size(); q-- > 0;) {
      const Step a = plan.starts[q];
      const Step b = q + 1 < plan.starts.size() ? plan.starts[q + 1] : end;
      const std::int64_t s = slots_ - static_cast<std::int64_t>(q);
      if (front != b || b <= a || s < 1 || held_count - 1 + s > slots_) {
        fail(where + ": interval " + std::to_string(q) + " does not fit");
      }
      front = a;
      held_count -= 1;
      advances += (plan.starts[q] - plan.kept[q]) + memsched::revolve_advances(b - a, s);
      if (known(b - a, s) == nullptr) lowest_new = q;
    }
    if (front != 0 || held_count != 0) fail(where + ": intervals do not end at 0");
    if (advances != plan.advances) fail(where + ": advances differ from the plan");
    if (n > follow_n_) {
      // Beyond follow_n: new intervals are checked on their own streams, and the emitted
      // stream only up to the first action of its last interval.
      for (std::size_t q = plan.starts.size(); q-- > 0;) {
        const Step a = plan.starts[q];
        const Step b = q + 1 < plan.starts.size() ? plan.starts[q + 1] : end;
        const std::int64_t s = slots_ - static_cast<std::int64_t>(q);
        if (known(b - a, s) == nullptr) check_reference(b - a, s, where);
      }
      const std::size_t q = plan.starts.size() - 1;
      const Step a = plan.starts[q];
      const std::optional<Action> next = stream->next();
      const Interval* ref = known(end - a, slots_ - static_cast<std::int64_t>(q));
      if (!next || value(shift_back(*next, a)) != value(ref->first)) {
        fail(where + ": the last interval does not start as checked");
      }
      lowest_new = plan.starts.size();
    }
    // The emitted intervals, last first, down to the lowest one whose (length, slots) is new:
    // known ones are compared by hash, the new one is checked (check_new), then the next
    // action must be the next interval's first one (or EndReverse): the boundary is right.
    if (lowest_new < plan.starts.size()) {
      for (std::size_t q = plan.starts.size(); q-- > lowest_new;) {
        const Step a = plan.starts[q];
        const Step b = q + 1 < plan.starts.size() ? plan.starts[q + 1] : end;
        const std::int64_t s = slots_ - static_cast<std::int64_t>(q);
        if (const Interval* ref = known(b - a, s)) {
          if (hash_next(*stream, ref->full.length, a, where) != ref->full) {
            fail(where + ": interval " + std::to_string(q) + " differs");
          }
        } else {
          check_new(*stream, b - a, s, a, where);
        }
      }
      const std::optional<Action> next = stream->next();
      if (lowest_new == 0) {
        if (!next || next->kind != memsched::ActionKind::kEndReverse || stream->next()) {
          fail(where + ": no EndReverse at the end");
        }
      } else {
        const std::size_t q = lowest_new - 1;
        const Step a = plan.starts[q];
        const Interval* ref = known(plan.starts[q + 1] - a, slots_ - static_cast<std::int64_t>(q));
        if (!next || value(shift_back(*next, a)) != value(ref->first)) {  // restores x_a
          fail(where + ": interval " + std::to_string(lowest_new) + " does not end where due");
        }
      }
    }
    if (n <= full_n_) {
      memsched::OnlineStream whole(n, slots_, 0, mode);
      const memsched::SimulationReport report = memsched::simulate(whole, chain, platform_);
      if (report.forward_steps != n + end + plan.advances || report.adjoint_steps != n ||
          report.levels[0].peak > slots_) {
        fail(where + ": whole replay differs");
      }
      stats_.full_replays += 1;
      stats_.full_actions += report.num_actions;
    }
  }

  const Interval* known(Step length, std::int64_t s) const {
    const auto found = intervals_.find(key(length, s));
    return found == intervals_.end() ? nullptr : &found->second;
  }
  static std::uint64_t key(Step length, std::int64_t s) {
    return static_cast<std::uint64_t>(length) * 64 + static_cast<std::uint64_t>(s);
  }

  // Consumes `count` actions and hashes them shifted by -offset.
  SeqHash hash_next(ActionStream& stream, std::int64_t count, Step offset,
                    const std::string& where) {
    SeqHash hash;
    for (std::int64_t k = 0; k < count; ++k) {
      const std::optional<Action> a = stream.next();
      if (!a) fail(where + ": the stream ends inside an interval");
      hash.push(shift_back(*a, offset));
    }
    stats_.hashed_actions += count;
    return hash;
  }

  // The interval (length, s) checked on its own stream, online_reversal({0}, length, s),
  // without following the pieces it splits into (see check_new).
  const Interval& check_reference(Step length, std::int64_t s, const std::string& where) {
    std::unique_ptr<ActionStream> reference = memsched::online_reversal({0}, length, s);
    reference->next();  // EndForward
    stats_.reference_intervals += 1;
    return check_new(*reference, length, s, 0, where, false, false);
  }

  // Checks the emitted actions of a Revolve interval [offset, offset + length) with s
  // snapshots whose (length, s) is new, and records their hash. They are replayed, shifted to
  // [0, length), from the state the composition guarantees (x_0 stored, front at length,
  // nothing else held, s slots): legal, x_0 released at the end, length + t(length, s)
  // forward steps. With s >= 2 only Revolve's first decision is replayed (restore x_0,
  // advance to m, store x_m); the rest must then be the interval (length - m, s - 1) shifted
  // by m, whose first restore is omitted (x_m is already in the working buffer), then the
  // interval (m, s): each is compared by hash when already checked, or checked the same way
  // (recursively) from that state. `restored`: the stream omits the first action (a restore
  // of x_0 by Copy): it is replayed (and recorded) all the same.
  const Interval& check_new(ActionStream& stream, Step length, std::int64_t s, Step offset,
                            const std::string& where, bool restored = false, bool follow = true) {
    const Chain chain(length);
    const Platform platform = Platform::ram(s);
    Simulator sim(chain, platform);
    sim.apply(Action::copy(0, Content::kState, memsched::kWork, 0));
    sim.apply(Action::forward(0, length));
    sim.apply(Action::end_forward());
    const std::int64_t sweep = sim.report().forward_steps;
    Interval result;
    auto apply = [&](const Action& local) {
      if (result.full.length == 0) {
        result.first = local;
      } else {
        result.tail.push(local);
      }
      result.full.push(local);
      stats_.replayed_actions += 1;
      try {
        sim.apply(local);
      } catch (const memsched::ScheduleError& e) {
        fail(where + ": interval " + std::to_string(length) + ", " + std::to_string(s) + " at " +
             std::to_string(offset) + ": " + e.what());
      }
    };
    auto take = [&]() {
      const std::optional<Action> a = stream.next();
      if (!a) fail(where + ": the stream ends inside an interval");
      const Action local = shift_back(*a, offset);
      apply(local);
      return local;
    };
    if (restored) {
      if (length < 2) fail(where + ": omitted restore of a one-step interval");
      apply(Action::copy(0, Content::kState, 0, memsched::kWork));
    }
    // The head: up to the first store (s >= 2) or the first adjoint step (s = 1).
    bool head = false;
    while (!head && sim.front() > 0) {
      const Action a = take();
      head = s == 1 ? a.kind == memsched::ActionKind::kReverse
                    : a.kind == memsched::ActionKind::kCopy && a.to == 0;
    }
    const Step m = sim.working_step();
    // With one snapshot the rest is the interval (length - 1, 1), when already checked (it
    // is not checked recursively: that would nest `length` calls).
    const Interval* rest = s == 1 && head && sim.front() == length - 1 && length >= 2 &&
                                   sim.occupancy(0) == 1 && sim.holds(0, 0, Content::kState)
                               ? known(length - 1, 1)
                               : nullptr;
    if (rest) {
      if (follow && hash_next(stream, rest->full.length, offset, where) != rest->full) {
        fail(where + ": interval at " + std::to_string(offset) + " differs");
      }
      result.full.append(rest->full, 0);
      result.tail.append(rest->full, 0);
      result.forward_steps = sim.report().forward_steps - sweep + rest->forward_steps;
    } else if (s >= 2 && head && sim.front() == length && sim.occupancy(0) == 2 && m > 0 &&
               length - m >= 2 && sim.holds(0, 0, Content::kState) &&
               sim.holds(0, m, Content::kState)) {
      std::int64_t forward_steps = sim.report().forward_steps - sweep;
      auto add = [&](const SeqHash& part, Step shift) {
        result.full.append(part, shift);
        result.tail.append(part, shift);
      };
      // (length - m, s - 1) at offset + m, its first restore omitted.
      if (const Interval* upper = known(length - m, s - 1)) {
        if (follow && hash_next(stream, upper->full.length - 1, offset + m, where) != upper->tail) {
          fail(where + ": interval at " + std::to_string(offset + m) + " differs");
        }
        add(upper->tail, m);
        forward_steps += upper->forward_steps;
      } else {
        const Interval& part = follow
                                   ? check_new(stream, length - m, s - 1, offset + m, where, true)
                                   : check_reference(length - m, s - 1, where);
        add(part.tail, m);
        forward_steps += part.forward_steps;
      }
      // (m, s) at offset.
      if (const Interval* lower = known(m, s)) {
        if (follow && hash_next(stream, lower->full.length, offset, where) != lower->full) {
          fail(where + ": interval at " + std::to_string(offset) + " differs");
        }
        add(lower->full, 0);
        forward_steps += lower->forward_steps;
      } else {
        const Interval& part =
            follow ? check_new(stream, m, s, offset, where) : check_reference(m, s, where);
        add(part.full, 0);
        forward_steps += part.forward_steps;
      }
      result.forward_steps = forward_steps;
    } else {
      while (sim.front() > 0) take();
      if (sim.occupancy(0) != 0) fail(where + ": interval leaves checkpoints behind");
      result.forward_steps = sim.report().forward_steps - sweep;
    }
    if (result.forward_steps != length + memsched::revolve_advances(length, s)) {
      fail(where + ": interval " + std::to_string(length) + ", " + std::to_string(s) +
           " is not Revolve's");
    }
    stats_.intervals += 1;
    return intervals_.emplace(key(length, s), result).first->second;
  }

  Step max_n_;
  std::int64_t slots_;
  Step full_n_;
  Step follow_n_;
  Platform platform_;
  Stats& stats_;
  std::unordered_map<std::uint64_t, Interval> intervals_;
};

}  // namespace

int main(int argc, char** argv) {
  const Step max_n = argc > 1 ? std::atoll(argv[1]) : 100'000;
  const std::int64_t max_c = argc > 2 ? std::atoll(argv[2]) : 50;
  const Step full_n = argc > 3 ? std::atoll(argv[3]) : 300;
  const Step follow_n = argc > 4 ? std::atoll(argv[4]) : 10'000;
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Stats stats;
  for (std::int64_t c = 1; c <= max_c; ++c) {
    try {
      Checker(max_n, c, full_n, follow_n, stats).run();
    } catch (const std::exception& e) {
      std::printf("bad schedule: %s\n", e.what());
      return 1;
    }
    std::printf(
        "c = %lld: every n <= %lld legal, both end modes (so far: %lld schedules, %lld replayed "
        "whole; %lld distinct intervals (%lld on their own stream), %lld of their actions "
        "replayed, %lld emitted actions compared by hash; %.0f s)\n",
        static_cast<long long>(c), static_cast<long long>(max_n), stats.schedules,
        stats.full_replays, stats.intervals, stats.reference_intervals, stats.replayed_actions,
        stats.hashed_actions, seconds());
    std::fflush(stdout);
  }
  std::printf("all legal: %lld schedules, %.0f s\n", stats.schedules, seconds());
  return 0;
}
