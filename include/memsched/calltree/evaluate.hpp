// Run time and peak tape memory of a joint/split assignment of a call tree: the closed
// formulas, and an event-level simulator that really pushes and pops, as their check.
#pragma once

#include <cstdint>
#include <vector>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// Run time and peak stack bytes (tape plus snapshots) of one assignment.
struct CallTreeCost {
  double time = 0;  ///< whole adjoint: forward sweep and backward sweep
  Bytes peak = 0;   ///< highest stack of tapes and snapshots, above the empty stack
};

/// The exact cost of `joint` by the closed formulas of docs/calltree.md:
///   time = sum over calls of (f + b) + sum over joint calls c of (P_c + omega_c + rho_c),
///   peak = Q(root), Q(v) = max(F(v), max_j [pre_j(v) + Q(c_j)]),
/// with pre_j(v) = tau_v^(j) + sum_{i<j} x_i, F(v) = tau_v + sum_i x_i, x_i = s_{c_i} if c_i is
/// joint and F(c_i) otherwise. With loop nodes every term is counted once per occurrence
/// (CallTree::occurrences), each loop adds occurrences x t(N, S) x its body_time (Revolve's
/// advances, in base_time), and a loop's F and Q are those of one iteration plus its
/// min(S, N - 1) slots of snapshot_bytes. Throws std::invalid_argument (check_joint_set). O(n).
CallTreeCost evaluate_calltree(const CallTree& tree, const JointSet& joint);

/// What one event of the simulated adjoint does.
enum class CallEventKind : std::uint8_t {
  kPushTape,      ///< a recording body pushes a piece of its own tape
  kPopTape,       ///< a backward body pops a piece of its own tape
  kPushSnapshot,  ///< a joint call's snapshot is written
  kPopSnapshot,   ///< a joint call's snapshot is read back and released
  kPlain,         ///< a body runs plainly (no recording)
  kRecord,        ///< a body runs recording (its time; its pushes are separate events)
  kAdjoint,       ///< a body's backward sweep starts: its turn (its time; pops follow)
  kAdjointEnd,    ///< a body's backward sweep, its calls' included, is over
  kPushSlot,      ///< a loop stores an iteration state in one of its Revolve slots
  kPopSlot,       ///< a loop restores an iteration state for the last time and releases it
};

/// One event: its kind, the call, the bytes pushed or popped (0 for run events), the stack
/// height after it and the clock after it.
struct CallEvent {
  CallEventKind kind;
  CallIndex call;
  Bytes bytes;
  Bytes stack;
  double clock;
};

/// The simulator's result: cost, counts, and the events when asked for.
struct CallTreeSimulation {
  CallTreeCost cost;
  std::int64_t pushes = 0;
  std::int64_t pops = 0;
  /// Runs of each call's own body: plain, recording and backward (index = call).
  std::vector<std::int64_t> plain_runs;
  std::vector<std::int64_t> record_runs;
  std::vector<CallEvent> events;  ///< empty unless record_events
};

/// The most body runs and Revolve actions simulate_calltree replays (2^32).
inline constexpr double kMaxSimulatedRuns = 4294967296.0;

/// Runs the adjoint of docs/calltree.md on a byte stack: Rec(root) then Bwd(root), where
/// Rec(v) pushes v's tape in pieces around its calls, pushes a joint child's snapshot and
/// runs it plainly (Plain runs the whole subtree), and records a split child; Bwd(v) walks
/// its calls backwards, popping a joint child's snapshot and re-recording it before reversing
/// it, and pops v's tape pieces. A loop node replays the actions of a RevolveStream over its
/// iterations (the chain planners' Revolve): stores push a slot, a last restore pops it, a
/// plain advance runs the body plainly, a recording run and a reversal run Rec and Bwd of one
/// iteration's body; the forward sweep up to EndForward belongs to Rec(v), the rest to Bwd(v).
/// A kPlain event stands for all the runs of one body within one plain run (plain_runs counts
/// them). Throws std::length_error up front if the replay passes kMaxSimulatedRuns.
/// Checks that every pop matches the top of the stack and that
/// the stack ends empty (an internal error otherwise). Iterative: any depth. Throws
/// std::invalid_argument (check_joint_set); std::length_error if record_events and the event
/// count would pass `max_events`. O(n * (depth + 1)) time. With record_events and not
/// record_plain_runs, plain runs are not walked: no kPlain events (one per body per plain
/// run, the bulk), plain_runs stays 0, the clock adds P at once, and the time is O(n).
CallTreeSimulation simulate_calltree(const CallTree& tree, const JointSet& joint,
                                     bool record_events = false,
                                     std::int64_t max_events = std::int64_t{1} << 24,
                                     bool record_plain_runs = true);

}  // namespace memsched
