// The exhaustive optimal search over heterogeneous-chain schedules: the oracle the persistent
// planner is tested against, and the optimal non-persistent planner for tiny chains.
#pragma once

#include <cstdint>
#include <optional>

#include "memsched/hetero/chain.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/hetero/schedule.hpp"

namespace memsched {

struct HeteroExhaustiveOptions {
  /// Only persistent schedules: a stored x_i may be dropped only by the forward that consumes
  /// it right after it was produced (rotor's Fn), so every kept value stays until its backward.
  /// Off: any value may be dropped at any time (subject to `rules`), and recomputed later.
  bool persistent_only = false;
  HeteroRules rules;
  /// Give up with std::length_error beyond this many distinct search states.
  std::int64_t max_states = 4'000'000;
};

/// The fastest schedule over all schedules of the model (docs/heterogeneous.md) whose peak, in
/// exact bytes, is at most `budget_bytes`, as plan_persistent's HeteroPlan (exact bytes:
/// unit_bytes 1, num_units = budget_bytes); nullopt if none exists. Dijkstra's algorithm over
/// states (values stored, backward front); the time is exponential in L. Throws
/// std::invalid_argument if the chain has more than 12 stages.
std::optional<HeteroPlan> plan_exhaustive(const HeteroChain& chain, Bytes budget_bytes,
                                          const HeteroExhaustiveOptions& options = {});

}  // namespace memsched
