// Tests of the replay simulator: legal schedules are measured, illegal ones rejected with
// the index of the offending action and the reason.
#include "memsched/chain/simulate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "memsched/errors.hpp"

namespace memsched {
namespace {

using ::testing::HasSubstr;

// Revolve(4, 2) as printed by checkpoint_schedules (docs/theory/chain.md, T1), in our vocabulary.
Schedule revolve_4_2() {
  const Place ram = 0;
  return {Action::copy(0, Content::kState, kWork, ram),
          Action::forward(0, 2),
          Action::copy(2, Content::kState, kWork, ram),
          Action::forward(2, 3),
          Action::forward(3, 4, true),
          Action::end_forward(),
          Action::reverse(4, 3),
          Action::move(2, Content::kState, ram, kWork),
          Action::forward(2, 3, true),
          Action::reverse(3, 2),
          Action::copy(0, Content::kState, ram, kWork),
          Action::forward(0, 1),
          Action::forward(1, 2, true),
          Action::reverse(2, 1),
          Action::move(0, Content::kState, ram, kWork),
          Action::forward(0, 1, true),
          Action::reverse(1, 0),
          Action::end_reverse()};
}

TEST(Simulate, RevolveFourTwoCounts) {
  const SimulationReport report = simulate(revolve_4_2(), Chain(4), Platform::ram(2));
  EXPECT_EQ(report.forward_steps, 8);
  EXPECT_EQ(report.advances(), 4);
  EXPECT_EQ(report.adjoint_steps, 4);
  EXPECT_EQ(report.reverse_sweeps, 1);
  EXPECT_EQ(report.cost, 12.0);
  EXPECT_EQ(report.paper_makespan(Chain(4)), 8.0);
  ASSERT_EQ(report.levels.size(), 1u);
  EXPECT_EQ(report.levels[0].writes, 2);
  EXPECT_EQ(report.levels[0].reads, 3);
  EXPECT_EQ(report.levels[0].peak, 2);
  EXPECT_EQ(report.peak_work_tapes, 1);
}

TEST(Simulate, CostUsesLevelAndStepCosts) {
  const Platform platform({StorageLevel{"ram", 2, 0.5, 0.25}});
  const Chain chain({1, 2, 3, 4}, {10, 20, 30, 40});
  const SimulationReport report = simulate(revolve_4_2(), chain, platform);
  // forward: 0..2 (3), 2..3 (3), 3..4 (4), 2..3 (3), 0..1 (1), 1..2 (2), 0..1 (1) = 17
  // adjoint: 100; writes 2 * 0.5; reads 3 * 0.25.
  EXPECT_DOUBLE_EQ(report.cost, 17 + 100 + 1.0 + 0.75);
}

struct Corruption {
  const char* name;
  std::size_t index;
  Action replacement;
  std::int64_t expected_index;
  const char* reason;
};

class SimulateRejects : public ::testing::TestWithParam<Corruption> {};

TEST_P(SimulateRejects, NamesActionAndReason) {
  Schedule schedule = revolve_4_2();
  const Corruption& c = GetParam();
  schedule[c.index] = c.replacement;
  try {
    simulate(schedule, Chain(4), Platform::ram(2));
    FAIL() << "accepted an illegal schedule";
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.action_index(), c.expected_index);
    EXPECT_THAT(e.reason(), HasSubstr(c.reason));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, SimulateRejects,
    ::testing::Values(
        Corruption{"RestoreNotStored", 7, Action::move(1, Content::kState, 0, kWork), 7,
                   "is not held"},
        Corruption{"WrongStart", 1, Action::forward(1, 2), 1, "working state is x_0"},
        Corruption{"PastFront", 8, Action::forward(2, 4, true), 8, "past the adjoint front"},
        Corruption{"OutOfOrderAdjoint", 9, Action::reverse(2, 1), 9, "front is at 3"},
        Corruption{"AdjointWithoutTape", 8, Action::forward(2, 3), 9, "tape of step 2"},
        Corruption{"ReverseBeforeEndForward", 5, Action::reverse(4, 3), 5, "before EndForward"},
        Corruption{"StoreTwice", 2, Action::copy(0, Content::kState, kWork, 0), 2, "x_0 is not"},
        Corruption{"LeaksCheckpoint", 14, Action::copy(0, Content::kState, 0, kWork), 18,
                   "still held"},
        Corruption{"NoLevel", 0, Action::copy(0, Content::kState, kWork, 3), 0, "no storage level"},
        Corruption{"RangeBeyondChain", 4, Action::forward(3, 5, true), 4, "bad step range"}),
    [](const ::testing::TestParamInfo<Corruption>& param_info) { return param_info.param.name; });

TEST(Simulate, RejectsOverCapacity) {
  Schedule schedule = revolve_4_2();
  try {
    simulate(schedule, Chain(4), Platform::ram(1));
    FAIL();
  } catch (const ScheduleError& e) {
    EXPECT_EQ(e.action_index(), 2);
    EXPECT_THAT(e.reason(), HasSubstr("capacity of level 'ram'"));
  }
}

TEST(Simulate, RejectsIncompleteSchedule) {
  Schedule schedule = revolve_4_2();
  schedule.pop_back();
  EXPECT_THROW(simulate(schedule, Chain(4), Platform::ram(2)), ScheduleError);
  EXPECT_THROW(simulate(Schedule{}, Chain(4), Platform::ram(2)), ScheduleError);
}

TEST(Simulate, TapesStoredOnALevel) {
  // Store every tape on the level (Mixed style): forward_steps = n, no recomputation.
  const Place ram = 0;
  Schedule schedule;
  for (Step i = 0; i < 3; ++i) {
    schedule.push_back(Action::forward(i, i + 1, true));
    schedule.push_back(Action::move(i, Content::kTape, kWork, ram));
  }
  schedule.push_back(Action::end_forward());
  for (Step i = 2; i >= 0; --i) {
    schedule.push_back(Action::move(i, Content::kTape, ram, kWork));
    schedule.push_back(Action::reverse(i + 1, i));
  }
  schedule.push_back(Action::end_reverse());
  const SimulationReport report = simulate(schedule, Chain(3), Platform::ram(3));
  EXPECT_EQ(report.forward_steps, 3);
  EXPECT_EQ(report.levels[0].peak, 3);
}

TEST(Simulate, ListsWhatEachPlaceHolds) {
  const Place ram = 0;
  const Platform platform({StorageLevel{"ram", 3, 0, 0}}, 2);
  const Chain chain(3);
  Simulator simulator(chain, platform);
  for (const Action& a : {Action::copy(0, Content::kState, kWork, ram), Action::forward(0, 2, true),
                          Action::move(1, Content::kTape, kWork, ram),
                          Action::copy(2, Content::kState, kWork, ram)}) {
    simulator.apply(a);
  }
  using Held = std::vector<std::pair<Step, Content>>;
  EXPECT_EQ(simulator.checkpoints(0),
            (Held{{0, Content::kState}, {1, Content::kTape}, {2, Content::kState}}));
  EXPECT_EQ(simulator.work_tapes(), std::vector<Step>{0});
  simulator.apply(Action::free(1, Content::kTape, ram));
  EXPECT_EQ(simulator.checkpoints(0), (Held{{0, Content::kState}, {2, Content::kState}}));
}

TEST(Simulate, WorkTapeCapacity) {
  const Schedule store_all_tapes = {Action::forward(0, 3, true), Action::end_forward(),
                                    Action::reverse(3, 0), Action::end_reverse()};
  EXPECT_THROW(simulate(store_all_tapes, Chain(3), Platform::ram(0)), ScheduleError);
  const Platform big_work({StorageLevel{"ram", 0, 0, 0}}, 3);
  EXPECT_EQ(simulate(store_all_tapes, Chain(3), big_work).forward_steps, 3);
}

TEST(Simulate, RepeatedReverseSweeps) {
  const Platform big_work({}, 2);
  const Schedule schedule = {Action::forward(0, 2, true),  Action::end_forward(),
                             Action::reverse(2, 0, false), Action::end_reverse(),
                             Action::reverse(2, 0),        Action::end_reverse()};
  const SimulationReport report = simulate(schedule, Chain(2), big_work);
  EXPECT_EQ(report.reverse_sweeps, 2);
  EXPECT_EQ(report.adjoint_steps, 4);
}

}  // namespace
}  // namespace memsched

namespace memsched {
namespace {

TEST(Timeline, RecordsEveryActionOfShortSchedules) {
  Schedule schedule = revolve_4_2();
  ScheduleStream stream(schedule);
  SimulationReport report;
  const auto points = record_timeline(stream, Chain(4), Platform::ram(2), 100, &report);
  ASSERT_EQ(points.size(), schedule.size());
  EXPECT_EQ(points[0].occupancy, std::vector<std::int64_t>{1});  // x_0 stored
  EXPECT_EQ(points[4].working_step, 4);                          // after Forward(3, 4, record)
  EXPECT_EQ(points[6].front, 3);                                 // after Reverse(4, 3)
  EXPECT_EQ(points.back().time, report.cost);
  EXPECT_EQ(report.forward_steps, 8);
}

TEST(Timeline, StaysBoundedAndKeepsTheLastAction) {
  // A legal long schedule: recompute-all over 1000 steps.
  Schedule schedule;
  schedule.push_back(Action::copy(0, Content::kState, kWork, 0));
  for (Step j = 999; j >= 0; --j) {
    if (j != 999)
      schedule.push_back(j == 0 ? Action::move(0, Content::kState, 0, kWork)
                                : Action::copy(0, Content::kState, 0, kWork));
    if (j > 0) schedule.push_back(Action::forward(0, j));
    schedule.push_back(Action::forward(j, j + 1, true));
    if (j == 999) schedule.push_back(Action::end_forward());
    schedule.push_back(Action::reverse(j + 1, j));
  }
  schedule.push_back(Action::end_reverse());
  ScheduleStream stream(schedule);
  const auto points = record_timeline(stream, Chain(1000), Platform::ram(1), 64);
  EXPECT_LE(points.size(), 65u);
  EXPECT_GE(points.size(), 32u);
  EXPECT_EQ(points.back().action_index, static_cast<std::int64_t>(schedule.size()) - 1);
  for (std::size_t i = 1; i < points.size(); ++i) {
    ASSERT_LT(points[i - 1].action_index, points[i].action_index);
  }
  ScheduleStream again(schedule);
  EXPECT_THROW(record_timeline(again, Chain(1000), Platform::ram(1), 1), std::invalid_argument);
}

// The simulator's flat occupancy set agrees with std::set under random inserts and erases
// (clustered keys, so probe runs wrap and deletions shift members back).
TEST(FlatSet, AgreesWithStdSet) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    detail::FlatSet<std::uint64_t> flat;
    std::set<std::uint64_t> reference;
    const std::uint64_t range = 1 + static_cast<std::uint64_t>(round) * 37;
    for (int op = 0; op < 3000; ++op) {
      const std::uint64_t key = rng() % range;
      if (rng() % 3 == 0) {
        flat.erase(key);
        reference.erase(key);
      } else {
        flat.insert(key);
        reference.insert(key);
      }
      ASSERT_EQ(flat.size(), reference.size());
      ASSERT_EQ(flat.count(key), reference.count(key));
    }
    for (std::uint64_t key = 0; key < range; ++key) {
      ASSERT_EQ(flat.count(key), reference.count(key)) << key;
    }
    std::set<std::uint64_t> listed(flat.begin(), flat.end());
    EXPECT_EQ(listed, reference);
  }
}

// A legal schedule of n steps: states stored every `period` steps on level 0, segments
// reversed last first, the segment start restored by Copy and at its last use by Move, and
// every other step's tape stored on level 1 on the way and fetched back (tapes crossing
// levels), with a working buffer of 2 tapes.
Schedule periodic_with_tapes(Step n, Step period) {
  Schedule s;
  for (Step i = 0; i < n; i += period) {
    s.push_back(Action::copy(i, Content::kState, kWork, 0));
    s.push_back(Action::forward(i, std::min(n, i + period)));
  }
  s.push_back(Action::end_forward());
  Step front = n;
  for (Step start = (n - 1) / period * period; start >= 0; start -= period) {
    while (front > start) {
      const Step i = front - 1;
      s.push_back(i == start ? Action::move(start, Content::kState, 0, kWork)
                             : Action::copy(start, Content::kState, 0, kWork));
      if (i > start) s.push_back(Action::forward(start, i));
      s.push_back(Action::forward(i, i + 1, true));
      if (i % 2 == 1) {
        s.push_back(Action::move(i, Content::kTape, kWork, 1));
        s.push_back(Action::move(i, Content::kTape, 1, kWork));
      }
      s.push_back(Action::reverse(i + 1, i));
      front = i;
    }
  }
  s.push_back(Action::end_reverse());
  return s;
}

// What a replay ends with: the report or the error, and the simulator's state.
struct Outcome {
  std::string error;
  SimulationReport report;
  Step working = 0;
  Step front = 0;
  std::vector<std::vector<std::pair<Step, Content>>> held;
  std::vector<Step> tapes;

  friend bool operator==(const Outcome& a, const Outcome& b) {
    return a.error == b.error && a.report.num_actions == b.report.num_actions &&
           a.report.forward_steps == b.report.forward_steps &&
           a.report.recorded_steps == b.report.recorded_steps &&
           a.report.adjoint_steps == b.report.adjoint_steps &&
           a.report.reverse_sweeps == b.report.reverse_sweeps &&
           a.report.peak_work_tapes == b.report.peak_work_tapes && a.report.cost == b.report.cost &&
           a.report.levels == b.report.levels && a.working == b.working && a.front == b.front &&
           a.held == b.held && a.tapes == b.tapes;
  }
};

enum class Path { kInline, kFullRules, kBatches, kStream };

Outcome replay(const Schedule& schedule, const Chain& chain, const Platform& platform, Path path,
               std::mt19937_64& rng) {
  Outcome outcome;
  Simulator simulator(chain, platform);
  try {
    if (path == Path::kStream) {
      ScheduleStream stream(schedule);
      outcome.report = simulate(stream, chain, platform);
    } else if (path == Path::kBatches) {
      for (std::size_t at = 0; at < schedule.size();) {
        const std::size_t count = std::min<std::size_t>(1 + rng() % 9, schedule.size() - at);
        simulator.apply_batch(schedule.data() + at, count);
        at += count;
      }
    } else {
      for (const Action& action : schedule) {
        if (path == Path::kInline) {
          simulator.apply(action);
        } else {
          simulator.apply_checked(action);
        }
      }
    }
    if (path != Path::kStream) outcome.report = simulator.finish();
  } catch (const ScheduleError& e) {
    outcome.error = e.what();
    outcome.report = simulator.report();
  }
  if (path != Path::kStream) {
    outcome.working = simulator.working_step();
    outcome.front = simulator.front();
    for (std::size_t level = 0; level < platform.num_levels(); ++level) {
      outcome.held.push_back(simulator.checkpoints(level));
    }
    outcome.tapes = simulator.work_tapes();
  }
  return outcome;
}

// One random change: a step moved by one, Copy and Move swapped, a place, flag or content
// changed, an action dropped, doubled or swapped with the next.
Schedule mutate(Schedule schedule, std::mt19937_64& rng) {
  const std::size_t i = rng() % schedule.size();
  Action& a = schedule[i];
  const int delta = rng() % 2 == 0 ? -1 : 1;
  switch (rng() % 9) {
    case 0:
      a.begin += delta;
      break;
    case 1:
      a.end += delta;
      break;
    case 2:
      a.step += delta;
      break;
    case 3:
      if (a.kind == ActionKind::kCopy) {
        a.kind = ActionKind::kMove;
      } else if (a.kind == ActionKind::kMove) {
        a.kind = ActionKind::kCopy;
      }
      break;
    case 4:
      (rng() % 2 == 0 ? a.from : a.to) = static_cast<Place>(static_cast<int>(rng() % 4) - 1);
      break;
    case 5:
      a.flag = !a.flag;
      break;
    case 6:
      a.content = a.content == Content::kState ? Content::kTape : Content::kState;
      break;
    case 7:
      schedule.erase(schedule.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    default:
      if (i + 1 < schedule.size()) {
        std::swap(schedule[i], schedule[i + 1]);
      } else {
        schedule.push_back(schedule[i]);
      }
  }
  return schedule;
}

// The inline cases of apply(), batches and the stream path accept and reject exactly what the
// full rule set does, with the same error (index and reason) and the same state, on thousands
// of corrupted schedules.
TEST(Simulate, InlineCasesAndBatchesMatchTheFullRules) {
  std::mt19937_64 rng(2026);
  const Platform two_levels({StorageLevel{"ram", 4, 0.0, 0.0}, StorageLevel{"disk", 3, 2.5, 1.5}},
                            2);
  const std::vector<std::pair<Schedule, Step>> bases = {
      {revolve_4_2(), 4}, {periodic_with_tapes(12, 3), 12}, {periodic_with_tapes(9, 4), 9}};
  int rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto& [base, n] = bases[static_cast<std::size_t>(round) % bases.size()];
    const Schedule schedule = round < 3 ? base : mutate(base, rng);
    const Chain chain = round % 2 == 0
                            ? Chain(n, 1.5, 0.75)
                            : Chain(std::vector<double>(static_cast<std::size_t>(n), 0.3),
                                    std::vector<double>(static_cast<std::size_t>(n), 0.7));
    const Platform platform = n == 4 ? Platform::ram(2) : two_levels;
    const Outcome reference = replay(schedule, chain, platform, Path::kFullRules, rng);
    if (round < 3) {
      ASSERT_EQ(reference.error, "") << "base schedule " << round;
    }
    if (!reference.error.empty()) ++rejected;
    ASSERT_TRUE(replay(schedule, chain, platform, Path::kInline, rng) == reference)
        << "round " << round << ": " << reference.error;
    ASSERT_TRUE(replay(schedule, chain, platform, Path::kBatches, rng) == reference)
        << "round " << round << ": " << reference.error;
    const Outcome streamed = replay(schedule, chain, platform, Path::kStream, rng);
    ASSERT_EQ(streamed.error, reference.error) << "round " << round;
    if (reference.error.empty()) {
      ASSERT_EQ(streamed.report.num_actions, reference.report.num_actions) << "round " << round;
      ASSERT_EQ(streamed.report.cost, reference.report.cost) << "round " << round;
    }
  }
  EXPECT_GT(rejected, 1000);  // most corruptions are caught
}

// apply_joint_step(i) is Forward(i, i + 1, record) then Reverse(i + 1, i) applied one by one,
// legal or not, from every state of a schedule.
TEST(Simulate, JointStepEqualsItsTwoActions) {
  const Schedule schedule = periodic_with_tapes(12, 3);
  const Chain chain(12, 1.25, 0.5);
  const Platform platform({StorageLevel{"ram", 4, 0.0, 0.0}, StorageLevel{"disk", 3, 2.5, 1.5}}, 2);
  Simulator prefix(chain, platform);
  for (const Action& action : schedule) {
    for (Step i = -1; i <= 13; ++i) {
      Simulator joint = prefix;
      Simulator apart = prefix;
      std::string joint_error;
      std::string apart_error;
      try {
        joint.apply_joint_step(i);
      } catch (const ScheduleError& e) {
        joint_error = e.what();
      }
      try {
        apart.apply_checked(Action::forward(i, i + 1, true));
        apart.apply_checked(Action::reverse(i + 1, i));
      } catch (const ScheduleError& e) {
        apart_error = e.what();
      }
      ASSERT_EQ(joint_error, apart_error) << "i = " << i;
      ASSERT_EQ(joint.report().num_actions, apart.report().num_actions);
      ASSERT_EQ(joint.report().forward_steps, apart.report().forward_steps);
      ASSERT_EQ(joint.report().recorded_steps, apart.report().recorded_steps);
      ASSERT_EQ(joint.report().adjoint_steps, apart.report().adjoint_steps);
      ASSERT_EQ(joint.report().peak_work_tapes, apart.report().peak_work_tapes);
      ASSERT_EQ(joint.report().cost, apart.report().cost);
      ASSERT_EQ(joint.working_step(), apart.working_step());
      ASSERT_EQ(joint.front(), apart.front());
      ASSERT_EQ(joint.work_tapes(), apart.work_tapes());
    }
    prefix.apply(action);
  }
}

// The set in both of its modes (a few members scanned, more hashed) and across the switch.
TEST(FlatSet, SmallAndHashedModesAgreeWithStdSet) {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 40; ++round) {
    detail::FlatSet<std::int64_t> flat;
    std::set<std::int64_t> reference;
    const std::int64_t range = 2 + round * 20;  // up to 782: both modes and the switch
    for (int op = 0; op < 2000; ++op) {
      const auto key = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(range)) *
                       (round % 2 == 0 ? 1 : (std::int64_t{1} << 40));
      if (rng() % 2 == 0) {
        ASSERT_EQ(flat.erase(key), reference.erase(key) == 1);
      } else {
        ASSERT_EQ(flat.insert(key), reference.insert(key).second);
      }
      ASSERT_EQ(flat.size(), reference.size());
    }
    std::set<std::int64_t> listed(flat.begin(), flat.end());
    EXPECT_EQ(listed, reference);
  }
}

}  // namespace
}  // namespace memsched
