// What an executed schedule cost: time, bytes and bandwidth per action kind and storage level,
// predicted against measured, peak memory against the plan, and a what-if table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched {

/// Count and wall time of one kind of work.
struct WorkTiming {
  std::int64_t count = 0;
  double seconds = 0;
  double max_seconds = 0;

  double mean_seconds() const noexcept { return count == 0 ? 0.0 : seconds / double(count); }
  void add(double s) noexcept {
    count += 1;
    seconds += s;
    if (s > max_seconds) max_seconds = s;
  }
};

/// Use of one storage level during a run (a copy of its counters at the end, and its name).
struct LevelProfile {
  std::string name;
  std::uint64_t capacity_bytes = 0;
  bool persistent = false;
  StorageCounters counters;

  /// Bytes per second over writes (0 when nothing was written).
  double write_bandwidth() const noexcept;
  /// Bytes per second over reads (0 when nothing was read).
  double read_bandwidth() const noexcept;
};

/// Everything measured about one executed schedule. Times are wall-clock seconds
/// (steady_clock), memory is in bytes.
struct ExecutionProfile {
  std::string problem;  ///< free text set by the caller ("burgers nx=128"), for the report
  std::string planner;  ///< free text set by the caller ("revolve"), for the report
  Step num_steps = 0;
  std::int64_t num_actions = 0;
  std::uint64_t state_bytes = 0;  ///< size of one state checkpoint (the last one saved)

  WorkTiming advance_first;                  ///< forward steps of the first sweep
  WorkTiming advance_recompute;              ///< forward steps that recompute states already seen
  WorkTiming record;                         ///< recording forward steps (split mode)
  WorkTiming reverse;                        ///< adjoint steps
  WorkTiming seed;                           ///< the objective's adjoint seed
  WorkTiming hashing;                        ///< replay-check hashes
  WorkTiming state_codec;                    ///< state saves and loads (serialisation)
  std::int64_t replay_checks = 0;            ///< recomputed states compared with the first sweep
  std::int64_t unplanned_forward_steps = 0;  ///< forward steps the schedule did not ask for
                                             ///< (materialising a lazily kept state, resuming)
  double total_seconds = 0;

  std::vector<LevelProfile> levels;  ///< one per storage level, in place order

  /// The plan, as the simulator counted it (present when the run was validated).
  std::optional<SimulationReport> plan;

  std::int64_t rss_start_bytes = 0;  ///< VmRSS when the run started (0 if unknown)
  std::int64_t rss_peak_bytes = 0;   ///< VmHWM at the end (peak since start when it could be reset)
  bool rss_peak_reset = false;       ///< whether VmHWM was reset at the start
  /// Memory the plan accounts for beyond the process at start: preallocated RAM levels,
  /// working state and tape buffers, read-ahead buffers.
  std::int64_t planned_extra_bytes = 0;

  /// Forward steps run (first sweep + recomputation + recording), like SimulationReport.
  std::int64_t forward_steps() const noexcept {
    return advance_first.count + advance_recompute.count + record.count;
  }
  /// Measured unit costs, in seconds: mean forward step, mean adjoint step.
  double forward_seconds() const noexcept;
  double adjoint_seconds() const noexcept;
  /// The run's chain with the measured unit costs (uniform).
  Chain measured_chain() const;
  /// The platform with measured per-checkpoint write and read seconds per level and
  /// `slots` slots each (for what-if and for re-planning with real costs).
  Platform measured_platform(const std::vector<std::int64_t>& slots) const;
  /// Time the plan predicts with the measured unit costs: SimulationReport::cost of the plan
  /// under measured_chain() and measured_platform(); nullopt without a plan.
  std::optional<double> predicted_seconds() const;
};

/// Readable report (a few dozen lines), in the layout of docs/executor.md.
std::string to_text(const ExecutionProfile& profile);
/// The profile as one JSON object (every field above, plus derived bandwidths).
std::string to_json(const ExecutionProfile& profile);

/// One alternative the what-if table considers.
struct WhatIfRow {
  std::string change;              ///< "ram +1 slot", "store-all", "compress disk (zstd)", ...
  double predicted_seconds = 0;    ///< total time predicted for the changed set-up
  double time_change_seconds = 0;  ///< predicted minus the current prediction (< 0: faster)
  std::int64_t memory_change_bytes = 0;  ///< checkpoint memory added (> 0) or saved (< 0)
  bool feasible = true;                  ///< false when the planner found no schedule
};

/// A planner as the what-if table calls it: the chain (measured costs) and a platform.
using WhatIfPlanner = std::function<std::unique_ptr<ActionStream>(const Chain&, const Platform&)>;

/// Tapenade-style what-if table: from the measured unit costs, re-plans with one change at a
/// time (one slot more or fewer on each level, twice the slots, store-all in RAM, each level
/// compressed with the measured ratio and codec time when `compression` gives them, and each
/// of `extra_levels` added below the others, e.g. a disk level with measured costs) and
/// simulates each plan. `slots` are the slot counts the run used. Rows are sorted: memory
/// gains first, then by time gained per byte. Requires num_steps >= 1 and one slot count per
/// level (std::invalid_argument otherwise). Cost: one planning + simulation per row.
struct CompressionEstimate {
  std::string name;  ///< "zstd", "lz4"
  double ratio = 1;  ///< raw bytes / compressed bytes, measured on a real state
  double compress_seconds = 0;
  double decompress_seconds = 0;
};
std::vector<WhatIfRow> what_if(const ExecutionProfile& profile, const WhatIfPlanner& planner,
                               const std::vector<std::int64_t>& slots,
                               const std::vector<CompressionEstimate>& compression = {},
                               const std::vector<StorageLevel>& extra_levels = {});

/// Formats the what-if table in Tapenade's three groups (memory gain, neutral, memory cost).
std::string to_text(const std::vector<WhatIfRow>& rows);

/// Measures zstd and lz4 on one real checkpoint (median of `repetitions`).
std::vector<CompressionEstimate> measure_compression(const std::vector<std::byte>& sample,
                                                     int repetitions = 5);

/// Peak resident set size of this process (VmHWM of /proc/self/status), in bytes; 0 if unknown.
std::int64_t peak_rss_bytes();
/// Current resident set size (VmRSS), in bytes; 0 if unknown.
std::int64_t current_rss_bytes();
/// Resets VmHWM to the current RSS (Linux >= 4.0, /proc/self/clear_refs); false if refused.
bool reset_peak_rss();

}  // namespace memsched
