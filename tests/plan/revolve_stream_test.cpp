// Tests of the Revolve stream's fast paths: the batched stream and the replay into the
// simulator give exactly the actions and reports of a plain one-decision-at-a-time controller,
// and the binomial table answers exactly as optimal_advances.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/revolve.hpp"
#include "plan/detail/binomial_reversal.hpp"

namespace memsched {
namespace {

// The Revolve controller written plainly (Griewank & Walther 2000): one decision per call,
// every advance from the exact optimal_advances, x_0 in the working buffer and not stored,
// snapshots on level 0, Move at a snapshot's last use. The oracle for the fast stream.
class PlainRevolve {
 public:
  PlainRevolve(Step n, std::int64_t slots) : front_(n), slots_(slots) {}

  std::optional<Action> next() {
    if (!queue_.empty()) {
      const Action action = queue_.front();
      queue_.erase(queue_.begin());
      return action;
    }
    if (done_) return std::nullopt;
    if (front_ == 0) {
      done_ = true;
      return Action::end_reverse();
    }
    if (working_ == front_ - 1) {
      queue_.push_back(Action::forward(working_, front_, true));
      if (!ended_forward_) queue_.push_back(Action::end_forward());
      ended_forward_ = true;
      queue_.push_back(Action::reverse(front_, working_));
      front_ -= 1;
      working_ = -1;
    } else if (working_ < 0) {
      const Step top = stack_.back();
      if (top == front_ - 1) {
        queue_.push_back(Action::move(top, Content::kState, 0, kWork));
        stack_.pop_back();
      } else {
        queue_.push_back(Action::copy(top, Content::kState, 0, kWork));
      }
      working_ = top;
    } else if (stack_.empty() || stack_.back() != working_) {
      if (static_cast<std::int64_t>(stack_.size()) < slots_) {
        queue_.push_back(Action::copy(working_, Content::kState, kWork, 0));
        stack_.push_back(working_);
      } else {
        queue_.push_back(Action::forward(working_, front_ - 1));
        working_ = front_ - 1;
      }
    } else {
      const std::int64_t d = slots_ - static_cast<std::int64_t>(stack_.size()) + 1;
      const Step m = front_ - working_;
      const Step advance = d >= 2 ? optimal_advances(m, d).hi : m - 1;
      queue_.push_back(Action::forward(working_, working_ + advance));
      working_ += advance;
    }
    return next();
  }

 private:
  std::vector<Action> queue_;
  std::vector<Step> stack_;
  Step working_ = 0;
  Step front_;
  std::int64_t slots_;
  bool ended_forward_ = false;
  bool done_ = false;
};

// Compares the first `limit` actions (all if the schedule is shorter) of the plain controller,
// RevolveStream::next() and RevolveStream::next_batch() with random batch sizes, the two calls
// of the stream mixed at random.
void expect_same_actions(Step n, std::int64_t c, std::int64_t limit, std::uint64_t seed) {
  SCOPED_TRACE("n = " + std::to_string(n) + ", c = " + std::to_string(c));
  PlainRevolve plain(n, c);
  RevolveStream single(n, c);
  RevolveStream batched(n, c);
  std::mt19937_64 rng(seed);
  std::vector<Action> batch;
  std::size_t at = 0;
  std::int64_t count = 0;
  for (; count < limit; ++count) {
    const std::optional<Action> expected = plain.next();
    ASSERT_EQ(single.next(), expected) << "action " << count;
    if (at == batch.size()) {
      if (rng() % 4 == 0) {
        // next() between batches
        const std::optional<Action> one = batched.next();
        ASSERT_EQ(one, expected) << "action " << count;
        if (!expected) break;
        continue;
      }
      batch.assign(1 + rng() % 700, Action{});
      batch.resize(batched.next_batch(batch.data(), batch.size()));
      at = 0;
    }
    if (!expected) {
      ASSERT_TRUE(batch.empty()) << "the batched stream goes on after the end";
      break;
    }
    ASSERT_LT(at, batch.size()) << "the batched stream ended early, action " << count;
    ASSERT_EQ(batch[at], *expected) << "action " << count;
    ++at;
  }
  if (count < limit) {
    EXPECT_FALSE(single.next().has_value());
    Action spare[4];
    EXPECT_EQ(batched.next_batch(spare, 4), 0u);
  }
}

TEST(RevolveStream, BatchesEqualThePlainControllerOnSmallChains) {
  for (Step n = 1; n <= 40; ++n) {
    for (std::int64_t c = 1; c <= 8; ++c) {
      if (n > 1 && c == 0) continue;
      expect_same_actions(n, c, std::numeric_limits<std::int64_t>::max(),
                          static_cast<std::uint64_t>(n * 100 + c));
    }
  }
}

TEST(RevolveStream, BatchesEqualThePlainControllerOnSeededChains) {
  std::mt19937_64 rng(2026);
  for (int round = 0; round < 60; ++round) {
    const Step n = 2 + static_cast<Step>(rng() % 20000);
    const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % 120);
    if (c == 1 && n > 3000) continue;  // quadratic: keep the test fast
    expect_same_actions(n, c, std::numeric_limits<std::int64_t>::max(), rng());
  }
}

TEST(RevolveStream, BatchesEqualThePlainControllerOnHugeChains) {
  // The first actions only: the schedules have up to 2^62 steps. c = 2 at 2^40 and c near n
  // need more table than allowed and take the exact formula; the others use the table.
  const std::vector<std::pair<Step, std::int64_t>> cases = {{Step{1} << 40, 2},
                                                            {Step{1} << 40, 3},
                                                            {Step{1} << 40, 10},
                                                            {Step{1} << 40, 100},
                                                            {Step{1} << 50, 1000},
                                                            {(Step{1} << 62) - 1, 100000},
                                                            {Step{1} << 62, Step{1} << 62}};
  std::uint64_t seed = 5;
  for (const auto& [n, c] : cases) {
    // Skip what the stream refuses (more than 2^63 forward steps).
    try {
      revolve_advances(n, c);
    } catch (const std::overflow_error&) {
      continue;
    }
    expect_same_actions(n, c, 30000, seed++);
  }
}

// The replay path (actions checked where they are generated) reports exactly what the
// simulator reports for the collected actions applied one by one by its full rule set.
SimulationReport replay_one_by_one(const Schedule& schedule, const Chain& chain,
                                   const Platform& platform) {
  Simulator simulator(chain, platform);
  for (const Action& action : schedule) simulator.apply_checked(action);
  return simulator.finish();
}

void expect_same_report(const SimulationReport& a, const SimulationReport& b) {
  EXPECT_EQ(a.num_actions, b.num_actions);
  EXPECT_EQ(a.forward_steps, b.forward_steps);
  EXPECT_EQ(a.recorded_steps, b.recorded_steps);
  EXPECT_EQ(a.adjoint_steps, b.adjoint_steps);
  EXPECT_EQ(a.reverse_sweeps, b.reverse_sweeps);
  EXPECT_EQ(a.peak_work_tapes, b.peak_work_tapes);
  EXPECT_EQ(a.cost, b.cost);  // the same additions in the same order: bit-identical
  EXPECT_EQ(a.levels, b.levels);
}

TEST(RevolveStream, ReplayReportsWhatTheFullRulesReport) {
  std::mt19937_64 rng(77);
  for (int round = 0; round < 40; ++round) {
    const Step n = 1 + static_cast<Step>(rng() % 3000);
    const std::int64_t c = 1 + static_cast<std::int64_t>(rng() % 40);
    // Non-integer costs, uniform or per step, and a read and write cost: rounding must match.
    const double uf = 0.1 + static_cast<double>(rng() % 100) / 7.0;
    std::vector<double> forward(static_cast<std::size_t>(n));
    std::vector<double> adjoint(static_cast<std::size_t>(n));
    for (auto& x : forward) x = static_cast<double>(rng() % 1000) / 3.0;
    for (auto& x : adjoint) x = static_cast<double>(rng() % 1000) / 9.0;
    const Chain chain = round % 2 == 0 ? Chain(n, uf, 2.0 * uf) : Chain(forward, adjoint);
    const Platform platform({StorageLevel{"ram", c, 0.25 * (round % 3), 0.5 * (round % 5)}});
    SCOPED_TRACE("n = " + std::to_string(n) + ", c = " + std::to_string(c));
    RevolveStream stream(n, c);
    const SimulationReport replayed = simulate(stream, chain, platform);
    RevolveStream again(n, c);
    expect_same_report(replayed, replay_one_by_one(collect(again), chain, platform));
  }
}

// Where the platform or chain does not fit the schedule, the replay path throws the same
// ScheduleError (index and message) as the full rules applied action by action.
TEST(RevolveStream, ReplayRejectsWhatTheFullRulesReject) {
  struct Case {
    Step n;
    std::int64_t c;
    Chain chain;
    Platform platform;
  };
  const std::vector<Case> cases = {
      {200, 10, Chain(200), Platform::ram(9)},   // one slot short
      {200, 10, Chain(150), Platform::ram(10)},  // chain shorter than the schedule
      {200, 10, Chain(250), Platform::ram(10)},  // chain longer: never reaches x_n
      {200, 3, Chain(200), Platform::ram(2)},    // short on slots deep in the sweep
      {1000, 1, Chain(1000), Platform({})},      // no level at all
      {5, 2, Chain(5), Platform({StorageLevel{"ram", 2, 0, 0}}, 1)},  // legal: control
  };
  for (const Case& test : cases) {
    SCOPED_TRACE("n = " + std::to_string(test.n) + ", c = " + std::to_string(test.c));
    std::string fast_error;
    std::string full_error;
    std::optional<SimulationReport> fast;
    std::optional<SimulationReport> full;
    try {
      RevolveStream stream(test.n, test.c);
      fast = simulate(stream, test.chain, test.platform);
    } catch (const ScheduleError& e) {
      fast_error = e.what();
    }
    try {
      RevolveStream stream(test.n, test.c);
      full = replay_one_by_one(collect(stream), test.chain, test.platform);
    } catch (const ScheduleError& e) {
      full_error = e.what();
    }
    EXPECT_EQ(fast_error, full_error);
    ASSERT_EQ(fast.has_value(), full.has_value());
    if (fast) expect_same_report(*fast, *full);
  }
}

TEST(BinomialTable, EqualsOptimalAdvances) {
  const detail::BinomialTable table(60, 40);
  for (std::int64_t d = 2; d <= 60; ++d) {
    for (Step m = 2; m <= 3000; ++m) {
      const Step advance = table.largest_advance(m, d);
      if (advance == 0) continue;  // beyond the table: the caller takes the formula
      ASSERT_EQ(advance, optimal_advances(m, d).hi) << "m = " << m << ", d = " << d;
    }
  }
  std::mt19937_64 rng(9);
  int answered = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t d = 2 + static_cast<std::int64_t>(rng() % 59);
    const Step m = 2 + static_cast<Step>(rng() % ((Step{1} << 62) - 1));
    const Step advance = table.largest_advance(m, d);
    if (advance == 0) continue;
    ++answered;
    ASSERT_EQ(advance, optimal_advances(m, d).hi) << "m = " << m << ", d = " << d;
  }
  EXPECT_GT(answered, 1000);  // saturated entries near 2^62 answered too
  // Outside the table: no answer.
  EXPECT_EQ(table.largest_advance(100, 61), 0);
  EXPECT_EQ(detail::BinomialTable(3, 2).largest_advance(1000, 3), 0);
}

}  // namespace
}  // namespace memsched
