// Tests of Platform and StorageLevel: validation and helpers.
#include "memsched/chain/platform.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace memsched {
namespace {

TEST(Platform, Shorthands) {
  const Platform ram = Platform::ram(10);
  ASSERT_EQ(ram.num_levels(), 1u);
  EXPECT_EQ(ram.level(0), (StorageLevel{"ram", 10, 0.0, 0.0}));
  const Platform disk = Platform::ram_disk(2, kUnlimitedSlots, 5.0, 1.0);
  EXPECT_EQ(disk.level(1).name, "disk");
  EXPECT_EQ(disk.total_slots(), kUnlimitedSlots);
  EXPECT_EQ(Platform::ram_disk(2, 3, 1, 1).total_slots(), 5);
  EXPECT_EQ(ram.work_tapes(), 1);
  EXPECT_EQ(ram.fastest_slots(), 10);
  EXPECT_EQ(Platform({}).fastest_slots(), 0);
  EXPECT_THROW(ram.level(1), std::out_of_range);
}

TEST(Platform, RejectsBadLevels) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Platform({{"ram", -1, 0, 0}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"ram", 1, nan, 0}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"ram", 1, 0, -2}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"", 1, 0, 0}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"work", 1, 0, 0}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"a", 1, 0, 0}, {"a", 1, 0, 0}}), std::invalid_argument);
  EXPECT_THROW(Platform({{"ram", 1, 0, 0}}, 0), std::invalid_argument);
  EXPECT_THROW(Platform(std::vector<StorageLevel>(65, StorageLevel{"x", 1, 0, 0})),
               std::invalid_argument);
  EXPECT_NO_THROW(Platform({}));
}

}  // namespace
}  // namespace memsched
