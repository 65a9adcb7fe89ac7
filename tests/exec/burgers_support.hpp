// Helpers for running the Burgers problem under the executor in tests.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "memsched/exec/model.hpp"
#include "memsched/exec/storage.hpp"
#include "memsched/problems/burgers.hpp"

namespace memsched::testing {

inline std::uint64_t state_bytes(const Burgers& model) {
  return 8 + 8 * static_cast<std::uint64_t>(model.num_cells());
}

/// A RAM level with room for `slots` Burgers states.
inline std::unique_ptr<Storage> ram_slots(const Burgers& model, std::int64_t slots,
                                          const char* name = "ram") {
  const std::uint64_t slot = (state_bytes(model) + 63) / 64 * 64;
  return make_ram_storage(slot * static_cast<std::uint64_t>(std::max<std::int64_t>(slots, 1)),
                          name);
}

/// Bitwise equality of two gradients (not ==: -0.0 and NaN payloads must match too).
inline ::testing::AssertionResult bitwise_equal(const Burgers::Adjoint& a,
                                                const Burgers::Adjoint& b) {
  if (a.u.size() != b.u.size()) return ::testing::AssertionFailure() << "sizes differ";
  if (std::memcmp(a.u.data(), b.u.data(), a.u.size() * sizeof(double)) != 0) {
    for (std::size_t i = 0; i < a.u.size(); ++i) {
      if (std::memcmp(&a.u[i], &b.u[i], sizeof(double)) != 0) {
        return ::testing::AssertionFailure()
               << "u-bar differs at " << i << ": " << a.u[i] << " vs " << b.u[i];
      }
    }
  }
  if (std::memcmp(&a.viscosity, &b.viscosity, sizeof(double)) != 0) {
    return ::testing::AssertionFailure()
           << "nu-bar differs: " << a.viscosity << " vs " << b.viscosity;
  }
  return ::testing::AssertionSuccess();
}

/// Remaps the single level of a schedule: checkpoints of steps below `threshold` go to
/// `low`, the others to `high` (a legal two-level schedule when capacities allow).
class LevelByStep final : public ActionStream {
 public:
  LevelByStep(ActionStream& inner, Step threshold, Place low, Place high)
      : inner_(&inner), threshold_(threshold), low_(low), high_(high) {}
  std::optional<Action> next() override {
    std::optional<Action> a = inner_->next();
    if (!a) return a;
    if (a->kind == ActionKind::kCopy || a->kind == ActionKind::kMove ||
        a->kind == ActionKind::kFree) {
      const Place mapped = a->step < threshold_ ? low_ : high_;
      if (a->from != kWork) a->from = mapped;
      if (a->to != kWork) a->to = mapped;
    }
    return a;
  }

 private:
  ActionStream* inner_;
  Step threshold_;
  Place low_;
  Place high_;
};

}  // namespace memsched::testing
