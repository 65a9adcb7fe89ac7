// The operations of heterogeneous-chain schedules (rotor's vocabulary) and the byte-exact
// simulator that checks them: the single definition of what each operation means.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/hetero/chain.hpp"

namespace memsched {

/// What a heterogeneous-chain operation does (rotor's `sequence.py` names in brackets).
enum class HeteroOpKind : std::uint8_t {
  kForwardCheck,   ///< [CF_i] forward of stage i without autograd; keeps the input x_i
  kForwardNograd,  ///< [Fn_i] forward of stage i without autograd; then drops the input x_i
  kForwardEnable,  ///< [Fe_i] forward of stage i with autograd: produces the tape x̄_{i+1}
  kLoss,           ///< [L] the loss and its gradient: reads x_L, produces ȳ_L
  kBackward,       ///< [B_i] backward of stage i: ȳ_{i+1}, x̄_{i+1}, x_i -> ȳ_i
  kFree,           ///< drop a stored x_i or x̄_i (not in rotor; non-persistent schedules)
};

/// One operation. `stage` is i for the forwards and B_i; L for the loss; for kFree the index
/// of the value dropped (x_stage, or x̄_stage when `tape` is set).
struct HeteroOp {
  HeteroOpKind kind = HeteroOpKind::kLoss;
  std::int64_t stage = 0;
  bool tape = false;

  static HeteroOp forward_check(std::int64_t i) noexcept;
  static HeteroOp forward_nograd(std::int64_t i) noexcept;
  static HeteroOp forward_enable(std::int64_t i) noexcept;
  static HeteroOp loss(std::int64_t num_stages) noexcept;
  static HeteroOp backward(std::int64_t i) noexcept;
  static HeteroOp free_input(std::int64_t i) noexcept;  ///< drop x_i
  static HeteroOp free_tape(std::int64_t i) noexcept;   ///< drop x̄_i

  friend bool operator==(const HeteroOp& a, const HeteroOp& b) noexcept;
  friend bool operator!=(const HeteroOp& a, const HeteroOp& b) noexcept { return !(a == b); }
};

/// A heterogeneous-chain schedule, first operation first.
using HeteroSchedule = std::vector<HeteroOp>;

/// rotor's notation: "CF_0", "Fn_1", "Fe_2", "L", "B_2", and "Del_x_3" / "Del_xbar_3" for kFree.
std::string to_string(const HeteroOp& op);
/// The operations in rotor's notation separated by single spaces.
std::string to_string(const HeteroSchedule& schedule);

/// Memory rules a simulation enforces (docs/heterogeneous.md).
struct HeteroRules {
  /// While x̄_{i+1} is stored, x_i (stored alone or inside x̄_i) may not be dropped: autograd
  /// runtimes keep the exact tensor stage i was recorded from (rotor's runtime needs this).
  bool pin_inputs = true;
};

/// What a legal schedule costs.
struct HeteroReport {
  double makespan = 0.0;      ///< sum of the times of all operations
  Bytes peak_bytes = 0;       ///< largest memory in use at any instant, transients included
  std::int64_t forwards = 0;  ///< forward operations (CF, Fn, Fe)
  std::int64_t recording_forwards = 0;  ///< Fe operations
  std::int64_t num_ops = 0;
};

/// One operation of a replay, for plots: when it ran and the memory it used.
struct HeteroTimelineEntry {
  double start = 0.0;     ///< time at which the operation starts
  double end = 0.0;       ///< start + its time
  Bytes peak_bytes = 0;   ///< memory in use during it (stored + produced + temporary)
  Bytes after_bytes = 0;  ///< memory in use once it is done
};

/// Replays a heterogeneous schedule in exact bytes against `budget_bytes` and throws
/// ScheduleError (index of the first illegal operation and the reason) if it breaks a rule:
/// an input that is not stored, memory above the budget at any instant (stored values + the
/// value being produced + the operation's temporary), a pinned value dropped, backwards out of
/// order, or values other than ȳ_0 left at the end. O(L + number of operations).
///
/// Memory in use = sizes of the stored x_i, x̄_i and ȳ_i; x_0 is stored at the start and counts.
/// With `timeline`, one entry per operation is appended to it.
HeteroReport simulate(const HeteroSchedule& schedule, const HeteroChain& chain, Bytes budget_bytes,
                      const HeteroRules& rules = {},
                      std::vector<HeteroTimelineEntry>* timeline = nullptr);

}  // namespace memsched
