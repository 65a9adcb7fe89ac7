// Tests of the executor's replay checker (src/exec/replay_check.hpp) on a fake state: the
// first sweep's hashes are the reference, later states are compared, the stride is honoured
// and tuned.
#include "exec/replay_check.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace memsched::detail {
namespace {

// A state that is one number; hashing it can be made slow.
class FakeState final : public StepBinding {
 public:
  std::uint64_t value = 0;
  bool slow_hash = false;
  std::size_t state_size() const override { return sizeof value; }
  void save_state(std::byte*) const override {}
  void load_state(const std::byte*, std::size_t) override {}
  std::uint64_t hash_state() const override {
    if (slow_hash) {  // about 20 microseconds
      const auto t = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() - t < std::chrono::microseconds(20)) {
      }
    }
    return value * 0x9e3779b97f4a7c15ULL + 1;
  }
  std::size_t adjoint_size() const override { return 0; }
  void save_adjoint(std::byte*) const override {}
  void load_adjoint(const std::byte*, std::size_t) override {}
};

TEST(ReplayChecker, FirstSweepIsTheReferenceAndDifferencesThrow) {
  FakeState state;
  ExecutionProfile profile;
  ReplayChecker checker(state, profile, true, 1, 0.0, 4);
  checker.start();
  for (Step k = 1; k <= 4; ++k) {
    state.value = static_cast<std::uint64_t>(k);
    checker.check(k, true);
  }
  EXPECT_EQ(checker.reached(), 4);
  EXPECT_EQ(profile.replay_checks, 0);
  state.value = 2;
  checker.check(2, true);   // recomputed, same
  checker.check(2, false);  // restored, same
  EXPECT_EQ(profile.replay_checks, 2);
  state.value = 99;
  try {
    checker.check(3, true);
    FAIL() << "no ReplayError";
  } catch (const ReplayError& e) {
    EXPECT_EQ(e.step(), 3);
    EXPECT_NE(std::string(e.what()).find("recomputed"), std::string::npos);
  }
  try {
    checker.check(1, false);
    FAIL() << "no ReplayError";
  } catch (const ReplayError& e) {
    EXPECT_NE(std::string(e.what()).find("restored"), std::string::npos);
  }
}

TEST(ReplayChecker, StrideSkipsStatesAndDisabledChecksNothing) {
  FakeState state;
  ExecutionProfile profile;
  ReplayChecker checker(state, profile, true, 2, 0.0, 0);  // online: the table grows
  checker.start();
  for (Step k = 1; k <= 100; ++k) {
    state.value = static_cast<std::uint64_t>(k);
    checker.check(k, true);
  }
  EXPECT_GE(checker.hashes().size(), 101u);  // grown to x_100
  state.value = 1000;
  checker.check(33, true);  // odd: not checked
  EXPECT_THROW(checker.check(34, true), ReplayError);

  ReplayChecker off(state, profile, false, 1, 0.0, 10);
  off.start();
  off.check(5, true);
  state.value = 7;
  off.check(5, true);
  EXPECT_EQ(off.reached(), 5);
}

TEST(ReplayChecker, StrideGrowsWhenHashingCostsMoreThanTheBudget) {
  FakeState state;
  state.slow_hash = true;
  ExecutionProfile profile;
  ReplayChecker checker(state, profile, true, 1, 0.01, 64);
  checker.start();
  for (Step k = 1; k <= 16; ++k) {
    checker.add_step_sample(1e-9);  // steps far cheaper than a hash
    state.value = static_cast<std::uint64_t>(k);
    checker.check(k, true);
  }
  EXPECT_GE(checker.stride(), 1024);                        // hash/step >= 2e4, budget 1 %
  EXPECT_EQ(checker.stride() & (checker.stride() - 1), 0);  // a power of two
}

}  // namespace
}  // namespace memsched::detail
