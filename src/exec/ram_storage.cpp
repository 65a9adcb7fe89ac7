// The RAM level: one preallocated arena, blobs placed first-fit.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <unordered_map>

#include "memsched/exec/storage.hpp"

namespace memsched {

namespace {

constexpr std::uint64_t kAlignment = 64;

std::uint64_t round_up(std::uint64_t size) {
  return (size + kAlignment - 1) / kAlignment * kAlignment;
}

std::uint64_t pack(CheckpointKey key) {
  return (static_cast<std::uint64_t>(key.step) << 1) | (key.content == Content::kTape ? 1u : 0u);
}

class RamStorage final : public Storage {
 public:
  RamStorage(std::uint64_t capacity, std::string name)
      : name_(std::move(name)), capacity_(capacity / kAlignment * kAlignment) {
    if (capacity == 0) throw std::invalid_argument("make_ram_storage: capacity_bytes must be > 0");
    if (name_.empty()) throw std::invalid_argument("make_ram_storage: empty name");
    arena_.reset(new std::byte[capacity_ == 0 ? 1 : capacity_]);
    // Touch every page now, so the arena is resident before the run and the peak memory
    // measured during the run is the plan's.
    std::memset(arena_.get(), 0, capacity_);
    if (capacity_ > 0) free_[0] = capacity_;
  }

  const std::string& name() const noexcept override { return name_; }
  std::uint64_t capacity_bytes() const noexcept override { return capacity_; }
  std::uint64_t used_bytes() const noexcept override { return used_; }
  std::uint64_t footprint_bytes(std::size_t size) const noexcept override {
    return round_up(size == 0 ? 1 : size);
  }

  void write(CheckpointKey key, const std::byte* data, std::size_t size) override {
    std::byte* place = write_in_place(key, size);
    const auto start = std::chrono::steady_clock::now();
    if (size > 0) std::memcpy(place, data, size);
    counters_.write_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  std::byte* write_in_place(CheckpointKey key, std::size_t size) override {
    const auto start = std::chrono::steady_clock::now();
    if (blobs_.count(pack(key)) != 0) {
      throw StorageError("ram level '" + name_ + "': " + to_string(key) + " is already stored");
    }
    const std::uint64_t need = footprint_bytes(size);
    auto hole = free_.begin();
    while (hole != free_.end() && hole->second < need) ++hole;
    if (hole == free_.end()) {
      throw StorageError("ram level '" + name_ + "': no room for " + to_string(key) + " (" +
                         std::to_string(size) + " bytes; " + std::to_string(used_) + " of " +
                         std::to_string(capacity_) + " bytes in use)");
    }
    const std::uint64_t offset = hole->first;
    const std::uint64_t left = hole->second - need;
    free_.erase(hole);
    if (left > 0) free_[offset + need] = left;
    blobs_[pack(key)] = {offset, size, key};
    used_ += need;
    counters_.count_write(
        size, size, used_, blobs_.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return arena_.get() + offset;
  }

  const std::byte* read_in_place(CheckpointKey key) override {
    const Blob& blob = find(key);
    counters_.reads += 1;
    counters_.bytes_read += static_cast<std::int64_t>(blob.size);
    return arena_.get() + blob.offset;
  }

  std::size_t size(CheckpointKey key) const override { return find(key).size; }

  void read(CheckpointKey key, std::byte* out, std::size_t size) override {
    const auto start = std::chrono::steady_clock::now();
    const Blob& blob = find(key);
    if (size != blob.size) {
      throw StorageError("ram level '" + name_ + "': reading " + to_string(key) + " into " +
                         std::to_string(size) + " bytes, it has " + std::to_string(blob.size));
    }
    if (size > 0) std::memcpy(out, arena_.get() + blob.offset, size);
    counters_.reads += 1;
    counters_.bytes_read += static_cast<std::int64_t>(size);
    counters_.read_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  void release(CheckpointKey key) override {
    auto it = blobs_.find(pack(key));
    if (it == blobs_.end()) {
      throw StorageError("ram level '" + name_ + "': releasing " + to_string(key) +
                         ", which it does not hold");
    }
    std::uint64_t offset = it->second.offset;
    std::uint64_t length = footprint_bytes(it->second.size);
    used_ -= length;
    blobs_.erase(it);
    // Merge with the neighbouring holes.
    auto next = free_.lower_bound(offset);
    if (next != free_.end() && next->first == offset + length) {
      length += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto previous = std::prev(next);
      if (previous->first + previous->second == offset) {
        offset = previous->first;
        length += previous->second;
        free_.erase(previous);
      }
    }
    free_[offset] = length;
    counters_.releases += 1;
  }

  bool contains(CheckpointKey key) const noexcept override { return blobs_.count(pack(key)) != 0; }
  std::vector<CheckpointKey> keys() const override {
    std::vector<CheckpointKey> list;
    for (const auto& entry : blobs_) list.push_back(entry.second.key);
    return list;
  }
  const StorageCounters& counters() const noexcept override { return counters_; }

 private:
  struct Blob {
    std::uint64_t offset;
    std::size_t size;
    CheckpointKey key;
  };
  const Blob& find(CheckpointKey key) const {
    auto it = blobs_.find(pack(key));
    if (it == blobs_.end()) {
      throw StorageError("ram level '" + name_ + "': " + to_string(key) + " is not stored");
    }
    return it->second;
  }

  std::string name_;
  std::uint64_t capacity_;
  std::unique_ptr<std::byte[]> arena_;
  std::map<std::uint64_t, std::uint64_t> free_;  // offset -> length of each hole
  std::unordered_map<std::uint64_t, Blob> blobs_;
  std::uint64_t used_ = 0;
  StorageCounters counters_;
};

}  // namespace

std::unique_ptr<Storage> make_ram_storage(std::uint64_t capacity_bytes, std::string name) {
  return std::make_unique<RamStorage>(capacity_bytes, std::move(name));
}

}  // namespace memsched
