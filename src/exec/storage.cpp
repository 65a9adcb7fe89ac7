// Storage helpers shared by every level: names, cost measurement.
#include "memsched/exec/storage.hpp"

#include <algorithm>
#include <chrono>

namespace memsched {

std::string to_string(CheckpointKey key) {
  return key.content == Content::kState ? "state x_" + std::to_string(key.step)
                                        : "tape of step " + std::to_string(key.step);
}

const char* to_string(Compression compression) noexcept {
  return compression == Compression::kZstd ? "zstd" : "lz4";
}

LevelCost measure_storage_cost(Storage& storage, const std::vector<std::byte>& sample,
                               int repetitions) {
  using Clock = std::chrono::steady_clock;
  repetitions = std::max(1, repetitions);
  // A key no schedule uses, so that measuring never collides with a real checkpoint.
  const CheckpointKey key{std::int64_t{-1}, Content::kState};
  std::vector<double> writes;
  std::vector<double> reads;
  std::vector<std::byte> out(sample.size());
  const std::uint64_t before = storage.used_bytes();
  LevelCost cost;
  for (int r = 0; r < repetitions; ++r) {
    auto t = Clock::now();
    storage.write(key, sample.data(), sample.size());
    writes.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    cost.footprint_bytes = storage.used_bytes() - before;
    t = Clock::now();
    storage.read(key, out.data(), out.size());
    reads.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    storage.release(key);
  }
  std::nth_element(writes.begin(), writes.begin() + repetitions / 2, writes.end());
  std::nth_element(reads.begin(), reads.begin() + repetitions / 2, reads.end());
  cost.write_seconds = writes[static_cast<std::size_t>(repetitions / 2)];
  cost.read_seconds = reads[static_cast<std::size_t>(repetitions / 2)];
  return cost;
}

}  // namespace memsched
