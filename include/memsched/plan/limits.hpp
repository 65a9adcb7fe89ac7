// What a chain planning request will cost, estimated from its arguments before anything is
// allocated, and the limits beyond which the registry refuses it (docs/cli.md, "Limits").
#pragma once

#include <string>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/plan/registry.hpp"

namespace memsched {

/// The estimated cost of planning and replaying one schedule. Every figure is a double so that
/// requests far beyond 64 bits still get a number to show.
struct PlanEstimate {
  /// Bytes of the planner's table, allocated before the first action (0 for closed forms).
  double table_bytes = 0.0;
  /// Inner-loop operations of the planner's dynamic programme before the first action.
  double table_operations = 0.0;
  /// Forward plus adjoint steps the schedule streams: exact for closed forms (Revolve, store-all,
  /// recompute-all, periodic, two-level, repeated), otherwise a lower bound (Revolve's optimum
  /// with all slots of all levels, which no planner beats in forward steps).
  double streamed_steps = 0.0;
  /// Checkpoints held at once at the peak (what a replay must keep in memory).
  double held_checkpoints = 0.0;
};

/// Largest planner table: 1 GiB.
inline constexpr double kMaxPlanTableBytes = 1024.0 * 1024.0 * 1024.0;
/// Most table operations: 2e10. The time of the largest requests each limit accepts, measured,
/// is in docs/cli.md ("Limits").
inline constexpr double kMaxPlanOperations = 2e10;
/// Most forward plus adjoint steps streamed: 1e11.
inline constexpr double kMaxStreamedSteps = 1e11;
/// Most checkpoints held at once: 2^24.
inline constexpr double kMaxHeldCheckpoints = 16777216.0;

/// The estimate for planner `planner` (a registry name) on this problem. Throws
/// std::overflow_error where Revolve's closed form itself overflows 64 bits.
PlanEstimate estimate_plan(const std::string& planner, const Chain& chain, const Platform& platform,
                           const PlanOptions& options);

/// Throws std::length_error naming the planner, the estimate and the limit if the request
/// exceeds one of the limits above; `streamed` false checks the table only (a summary from a
/// closed form streams nothing).
void check_plan_limits(const std::string& planner, const Chain& chain, const Platform& platform,
                       const PlanOptions& options, bool streamed = true);

}  // namespace memsched
