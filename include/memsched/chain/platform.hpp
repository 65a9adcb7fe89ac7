// The storage levels that hold checkpoints (RAM, disk, ...), fastest first, with their costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace memsched {

/// Slot count of a level without a limit.
inline constexpr std::int64_t kUnlimitedSlots = std::numeric_limits<std::int64_t>::max();

/// One storage level: `num_slots` checkpoints at most (kUnlimitedSlots for no limit); storing
/// one checkpoint costs `write_cost`, loading one costs `read_cost` (same unit as step costs).
/// Every slot holds one checkpoint: a state x_i or the tape of one step (homogeneous sizes).
struct StorageLevel {
  std::string name;
  std::int64_t num_slots = 0;
  double write_cost = 0.0;
  double read_cost = 0.0;

  friend bool operator==(const StorageLevel& a, const StorageLevel& b) noexcept;
};

/// The machine a schedule runs on: the ordered storage levels (index 0 is the fastest, usually
/// RAM) and the working buffer.
///
/// The working buffer ("work") is not a level and costs nothing: it holds the current state
/// and at most `work_tapes` recorded step tapes (1 = one step recorded just before its adjoint,
/// the model of Revolve and the H-Revolve papers). Slot counts include the slot that holds x_0.
/// Throws std::invalid_argument on a negative slot count, a negative or non-finite cost, an
/// empty or repeated level name, more than kMaxLevels levels, or work_tapes < 1.
class Platform {
 public:
  static constexpr std::size_t kMaxLevels = 64;

  explicit Platform(std::vector<StorageLevel> levels, std::int64_t work_tapes = 1);

  /// One free level named "ram" with `num_slots` slots.
  static Platform ram(std::int64_t num_slots);
  /// A free "ram" level and a "disk" level with the given costs.
  static Platform ram_disk(std::int64_t ram_slots, std::int64_t disk_slots, double write_cost,
                           double read_cost);

  const std::vector<StorageLevel>& levels() const noexcept { return levels_; }
  std::size_t num_levels() const noexcept { return levels_.size(); }
  /// Level `index`; throws std::out_of_range if there is no such level.
  const StorageLevel& level(std::size_t index) const { return levels_.at(index); }
  std::int64_t work_tapes() const noexcept { return work_tapes_; }
  /// Slots of the fastest level (level 0), or 0 without levels: what single-level planners
  /// such as Revolve use.
  std::int64_t fastest_slots() const noexcept {
    return levels_.empty() ? 0 : levels_.front().num_slots;
  }
  /// Slots over all levels, saturating at kUnlimitedSlots.
  std::int64_t total_slots() const noexcept;

  friend bool operator==(const Platform& a, const Platform& b) noexcept;

 private:
  std::vector<StorageLevel> levels_;
  std::int64_t work_tapes_;
};

}  // namespace memsched
