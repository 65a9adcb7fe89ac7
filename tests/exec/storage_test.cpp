// Tests of the storage levels: RAM arena, checksummed files, read-ahead, compression, errors.
#include "memsched/exec/storage.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "temp_dir.hpp"

namespace memsched {
namespace {

std::vector<std::byte> blob(std::size_t size, int seed) {
  std::vector<std::byte> data(size);
  for (std::size_t i = 0; i < size; ++i) {
    data[i] = static_cast<std::byte>((i * 131 + static_cast<std::size_t>(seed) * 17) % 251);
  }
  return data;
}

std::vector<std::byte> read_back(Storage& storage, CheckpointKey key) {
  std::vector<std::byte> out(storage.size(key));
  storage.read(key, out.data(), out.size());
  return out;
}

void exercise(Storage& storage) {
  const auto a = blob(1000, 1);
  const auto b = blob(3000, 2);
  storage.write({0, Content::kState}, a.data(), a.size());
  storage.write({5, Content::kTape}, b.data(), b.size());
  EXPECT_TRUE(storage.contains({0, Content::kState}));
  EXPECT_FALSE(storage.contains({0, Content::kTape}));
  EXPECT_EQ(read_back(storage, {0, Content::kState}), a);
  EXPECT_EQ(read_back(storage, {5, Content::kTape}), b);
  EXPECT_EQ(storage.keys().size(), 2u);
  EXPECT_THROW(storage.write({0, Content::kState}, a.data(), a.size()), StorageError);
  storage.release({0, Content::kState});
  EXPECT_FALSE(storage.contains({0, Content::kState}));
  EXPECT_THROW(storage.release({0, Content::kState}), StorageError);
  EXPECT_THROW(read_back(storage, {0, Content::kState}), StorageError);
  storage.release({5, Content::kTape});
  EXPECT_EQ(storage.used_bytes(), 0u);
  EXPECT_EQ(storage.counters().writes, 2);
  EXPECT_EQ(storage.counters().reads, 2);
}

TEST(RamStorage, WriteReadRelease) {
  auto ram = make_ram_storage(1 << 16);
  exercise(*ram);
}

TEST(RamStorage, CapacityInBytesAndReuse) {
  auto ram = make_ram_storage(4096);
  const auto data = blob(1000, 3);
  for (Step i = 0; i < 4; ++i) ram->write({i, Content::kState}, data.data(), data.size());
  EXPECT_THROW(ram->write({4, Content::kState}, data.data(), data.size()), StorageError);
  EXPECT_EQ(ram->keys().size(), 4u);  // the failed write changed nothing
  ram->release({1, Content::kState});
  ram->release({2, Content::kState});
  const auto big = blob(2000, 4);  // fits only in the merged hole
  ram->write({9, Content::kState}, big.data(), big.size());
  EXPECT_EQ(read_back(*ram, {9, Content::kState}), big);
  EXPECT_EQ(read_back(*ram, {0, Content::kState}), data);
  EXPECT_THROW(make_ram_storage(0), std::invalid_argument);
}

TEST(FileStorage, WriteReadRelease) {
  testing::TempDir dir("file-basic");
  auto disk = make_file_storage(dir.path(), 1 << 20);
  exercise(*disk);
  EXPECT_TRUE(disk->persistent());
}

TEST(FileStorage, CorruptedFileGivesChecksumError) {
  testing::TempDir dir("file-corrupt");
  auto disk = make_file_storage(dir.path(), 1 << 20, {false, false});
  const auto data = blob(4096, 5);
  disk->write({7, Content::kState}, data.data(), data.size());
  {
    std::fstream file(dir.path() / "state_7.ckpt", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(48 + 1000);
    file.put('\x5a');
  }
  try {
    read_back(*disk, {7, Content::kState});
    FAIL() << "no checksum error";
  } catch (const ChecksumError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum error"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("state_7.ckpt"), std::string::npos) << e.what();
  }
}

TEST(FileStorage, ReadAheadServesReads) {
  testing::TempDir dir("file-prefetch");
  auto disk = make_file_storage(dir.path(), 1 << 24);
  const auto data = blob(1 << 18, 6);
  for (Step i = 0; i < 4; ++i) disk->write({i, Content::kState}, data.data(), data.size());
  for (Step i = 3; i >= 0; --i) {
    disk->prefetch({i, Content::kState});
    usleep(20000);  // the compute the read overlaps
    EXPECT_EQ(read_back(*disk, {i, Content::kState}), data);
  }
  EXPECT_GE(disk->counters().prefetch_hits, 3);
}

TEST(FileStorage, KeepFilesAdoptsThemLater) {
  testing::TempDir dir("file-adopt");
  const auto data = blob(500, 7);
  {
    auto disk = make_file_storage(dir.path(), 1 << 20, {true, true});
    disk->write({3, Content::kState}, data.data(), data.size());
  }
  auto again = make_file_storage(dir.path(), 1 << 20, {true, true});
  ASSERT_TRUE(again->contains({3, Content::kState}));
  EXPECT_EQ(read_back(*again, {3, Content::kState}), data);
  auto fresh = make_file_storage(dir.path(), 1 << 20);  // not keeping: starts empty
  EXPECT_TRUE(fresh->keys().empty());
}

TEST(FileStorage, CapacityExceededIsAClearError) {
  testing::TempDir dir("file-capacity");
  auto disk = make_file_storage(dir.path(), 2000);
  const auto data = blob(1500, 8);
  disk->write({0, Content::kState}, data.data(), data.size());
  EXPECT_THROW(disk->write({1, Content::kState}, data.data(), data.size()), StorageError);
}

// A full disk, simulated with a file size limit in a child process (SIGXFSZ ignored, so the
// write fails with EFBIG like it would with ENOSPC): a clear error, no partial file left, the
// checkpoints already written intact.
TEST(FileStorage, DiskFullIsAClearErrorAndLeavesDataIntact) {
  testing::TempDir dir("file-full");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    auto disk = make_file_storage(dir.path(), 1 << 30, {false, true});
    const auto small = blob(1000, 9);
    disk->write({0, Content::kState}, small.data(), small.size());
    const auto large = blob(200 * 1024, 10);
    try {
      disk->write({1, Content::kState}, large.data(), large.size());
      _exit(10);
    } catch (const StorageError& e) {
      const std::string what = e.what();
      if (what.find("writing state x_1") == std::string::npos) _exit(11);
      if (what.find("File too large") == std::string::npos &&
          what.find("No space") == std::string::npos) {
        _exit(12);
      }
    }
    if (disk->contains({1, Content::kState})) _exit(13);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // What the child left: the small checkpoint, intact, and no temporary file.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state_1.ckpt.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "state_1.ckpt"));
  auto disk = make_file_storage(dir.path(), 1 << 20, {false, true});
  ASSERT_TRUE(disk->contains({0, Content::kState}));
  EXPECT_EQ(read_back(*disk, {0, Content::kState}), blob(1000, 9));
}

TEST(FileStorage, UnusableFolderIsAClearError) {
  EXPECT_THROW(make_file_storage("/proc/memsched-cannot-exist", 1000), StorageError);
}

class CompressedStorageTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressedStorageTest, RoundTripAndSavesBytes) {
  auto level = make_compressed_storage(make_ram_storage(1 << 20), GetParam());
  exercise(*level);
  std::vector<double> smooth(4096);
  for (std::size_t i = 0; i < smooth.size(); ++i) smooth[i] = double(i % 16);
  level->write({1, Content::kState}, reinterpret_cast<const std::byte*>(smooth.data()),
               smooth.size() * sizeof(double));
  EXPECT_LT(level->used_bytes(), smooth.size() * sizeof(double) / 2);
  std::vector<double> back(smooth.size());
  level->read({1, Content::kState}, reinterpret_cast<std::byte*>(back.data()),
              back.size() * sizeof(double));
  EXPECT_EQ(back, smooth);
  EXPECT_GT(level->counters().codec_seconds, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressedStorageTest,
                         ::testing::Values(Compression::kZstd, Compression::kLz4));

TEST(CompressedStorage, OverFilesWithChecksums) {
  testing::TempDir dir("compressed-file");
  auto level =
      make_compressed_storage(make_file_storage(dir.path(), 1 << 20), Compression::kZstd, 3);
  EXPECT_EQ(level->name(), "disk+zstd");
  exercise(*level);
}

TEST(MeasureStorageCost, LeavesTheLevelEmpty) {
  auto ram = make_ram_storage(1 << 16);
  const LevelCost cost = measure_storage_cost(*ram, blob(1000, 11), 3);
  EXPECT_GE(cost.write_seconds, 0.0);
  EXPECT_EQ(cost.footprint_bytes, 1024u);
  EXPECT_EQ(ram->used_bytes(), 0u);
}

}  // namespace
}  // namespace memsched
