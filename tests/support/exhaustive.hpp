// An exhaustive optimal search over chain schedules (Dijkstra over what is stored where), the
// oracle that every chain planner is compared with on tiny instances.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched::testing {

struct ExhaustiveOptions {
  /// Let slots hold tapes as well as states (the Mixed model of Maddison 2024). Off: slots hold
  /// states only and a step is recorded just before its adjoint (the Revolve/H-Revolve model).
  bool store_tapes = false;
  /// Give up (std::length_error) beyond this many distinct search states.
  std::int64_t max_states = 20'000'000;
  /// States already stored on level 0 at the start (online reversal: what the forward run
  /// kept), ascending. Empty for an ordinary reversal from x_0.
  std::vector<Step> stored_states{};
  /// The state in the working buffer at the start: 0 normally, n when the forward run has
  /// already reached x_n (nothing useful in work).
  Step working_state = 0;
};

struct ExhaustiveResult {
  double cost = 0.0;
  Schedule schedule;  ///< one optimal schedule, legal for simulate()
};

/// The minimum cost of reversing `chain` on `platform` over every legal schedule of unit steps
/// (any schedule can be split into unit steps at the same cost), by Dijkstra's algorithm over
/// states (adjoint front, working state, per-level sets of stored states and tapes, tapes in
/// the working buffer). nullopt if no schedule exists. Requires n <= 16 and at most 3 levels
/// (std::invalid_argument otherwise). Exponential: meant for n <= 12 or so.
std::optional<ExhaustiveResult> exhaustive_optimum(const Chain& chain, const Platform& platform,
                                                   const ExhaustiveOptions& options = {});

}  // namespace memsched::testing
