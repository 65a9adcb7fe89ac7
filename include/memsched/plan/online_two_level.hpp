// Two-level online checkpointing: the chain length is unknown until the forward run ends; a
// disk checkpoint closes every period, and RAM checkpoints are placed online inside the
// current one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/online.hpp"
#include "memsched/plan/online_planner.hpp"

namespace memsched {

/// The online form of two-level and Periodic-Disk-Revolve checkpointing (Aupy & Herrmann,
/// Optim. Methods Softw. 32(3), 2017: the period does not depend on n, so the forward sweep
/// needs no n). Level 0 is RAM, level 1 the disk.
///
/// Forward sweep: the steps are cut into periods of `period` steps. Inside the current period
/// an OnlineCheckpointer with the `ram_slots` RAM slots decides what to keep, the period's
/// start always among them; when a period is complete its start moves to the disk and its
/// other RAM checkpoints are released, so the disk holds the start of every completed period
/// and RAM serves the current one only. Once the disk is full, period ends are ignored: the
/// last period grows, and the online checkpointer handles any length.
///
/// Reversal: the last (current) period by the online checkpointer's reversal, then each
/// completed period, last first, from its disk checkpoint as Periodic-Disk-Revolve does
/// (1D-Revolve: the disk checkpoint is read as often as the costs make worthwhile; beyond
/// kOneDMaxPeriod steps per period, whose table would take too long, two-level's Revolve with
/// the disk checkpoint as x_0). The differences with the offline planner are the last
/// period, reversed with the online checkpointer's placement instead of Revolve or
/// 1D-Revolve, and the disk write of its start when the run ends exactly at a period end
/// (docs/online.md measures them).
/// Throws std::invalid_argument if period < 1, ram_slots < 1 or disk_slots < 0;
/// std::logic_error when called out of protocol (OnlinePlanner). O(ram_slots) closed-form
/// evaluations per step.
class OnlineTwoLevel final : public OnlinePlanner {
 public:
  static constexpr Step kOneDMaxPeriod = Step{1} << 13;

  /// model.ram_slots RAM slots; its costs choose the reads of each completed period's
  /// reversal (1D-Revolve).
  OnlineTwoLevel(Step period, const DiskModel& model, std::int64_t disk_slots = kUnlimitedSlots,
                 OnlinePolicy policy = OnlinePolicy::kRevolveGreedy);

  Schedule begin_step() override;
  Schedule begin_last_step() override;
  std::unique_ptr<ActionStream> finish() override;
  Step steps_begun() const noexcept override { return steps_; }

  /// The start of the current period (the disk holds the starts of the periods before it).
  Step period_start() const noexcept { return base_; }
  /// Checkpoints written to the disk so far (completed periods).
  std::int64_t disk_checkpoints() const noexcept { return disk_count_; }

 private:
  void close_period_if_due(Schedule& out);

  Step period_;
  DiskModel model_;
  std::int64_t disk_slots_;
  OnlinePolicy policy_;
  Step steps_ = 0;
  Step base_ = 0;  // the current period's start
  std::int64_t disk_count_ = 0;
  bool last_begun_ = false;
  bool finished_ = false;
  std::optional<OnlineCheckpointer> inner_;  // the current period, steps relative to base_
};

/// The two-level online planner under simulated arrival on a platform with RAM (level 0, at
/// least one slot) and a disk (level 1); `period` defaults to Periodic-Disk-Revolve's period
/// for the chain's costs and the disk's write and read costs (periodic_disk_period).
/// nullopt if the platform has fewer than two levels, no RAM slot or RAM costs, if the chain
/// has per-step costs, or (without `period`) uf = 0. Throws std::invalid_argument if
/// period < 1.
std::optional<OnlinePlannerStream> online_two_level(const Chain& chain, const Platform& platform,
                                                    std::optional<Step> period = std::nullopt,
                                                    OnlineEnd end = OnlineEnd::kAfterLastStep);

}  // namespace memsched
