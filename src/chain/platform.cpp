// Platform: validation of storage levels.
#include "memsched/chain/platform.hpp"

#include <cmath>
#include <stdexcept>

namespace memsched {

namespace {

void check_cost(double cost, const std::string& level, const char* what) {
  if (!std::isfinite(cost) || cost < 0.0) {
    throw std::invalid_argument("Platform: " + std::string(what) + " of level '" + level +
                                "' must be finite and non-negative, got " + std::to_string(cost));
  }
}

}  // namespace

bool operator==(const StorageLevel& a, const StorageLevel& b) noexcept {
  return a.name == b.name && a.num_slots == b.num_slots && a.write_cost == b.write_cost &&
         a.read_cost == b.read_cost;
}

Platform::Platform(std::vector<StorageLevel> levels, std::int64_t work_tapes)
    : levels_(std::move(levels)), work_tapes_(work_tapes) {
  if (levels_.size() > kMaxLevels) {
    throw std::invalid_argument("Platform: at most " + std::to_string(kMaxLevels) +
                                " levels, got " + std::to_string(levels_.size()));
  }
  if (work_tapes < 1) {
    throw std::invalid_argument("Platform: the working buffer must hold at least 1 tape, got " +
                                std::to_string(work_tapes));
  }
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const StorageLevel& level = levels_[i];
    if (level.name.empty()) {
      throw std::invalid_argument("Platform: level " + std::to_string(i) + " has no name");
    }
    if (level.name == "work") {
      throw std::invalid_argument("Platform: 'work' names the working buffer, not a level");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (levels_[j].name == level.name) {
        throw std::invalid_argument("Platform: level name '" + level.name + "' is repeated");
      }
    }
    if (level.num_slots < 0) {
      throw std::invalid_argument(
          "Platform: level '" + level.name +
          "' has a negative number of slots: " + std::to_string(level.num_slots));
    }
    check_cost(level.write_cost, level.name, "write cost");
    check_cost(level.read_cost, level.name, "read cost");
  }
}

Platform Platform::ram(std::int64_t num_slots) {
  return Platform({StorageLevel{"ram", num_slots, 0.0, 0.0}});
}

Platform Platform::ram_disk(std::int64_t ram_slots, std::int64_t disk_slots, double write_cost,
                            double read_cost) {
  return Platform({StorageLevel{"ram", ram_slots, 0.0, 0.0},
                   StorageLevel{"disk", disk_slots, write_cost, read_cost}});
}

std::int64_t Platform::total_slots() const noexcept {
  std::int64_t total = 0;
  for (const StorageLevel& level : levels_) {
    if (level.num_slots > kUnlimitedSlots - total) return kUnlimitedSlots;
    total += level.num_slots;
  }
  return total;
}

bool operator==(const Platform& a, const Platform& b) noexcept {
  return a.levels_ == b.levels_ && a.work_tapes_ == b.work_tapes_;
}

}  // namespace memsched
