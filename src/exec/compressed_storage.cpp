// The compressing decorator: zstd or lz4 in front of any level, with codec time measured.
#include <lz4.h>
#include <zstd.h>

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "memsched/exec/storage.hpp"

namespace memsched {

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t pack(CheckpointKey key) {
  return (static_cast<std::uint64_t>(key.step) << 1) | (key.content == Content::kTape ? 1u : 0u);
}

// 16 bytes in front of every compressed blob: codec, raw size.
struct BlobHeader {
  std::uint32_t magic;
  std::uint32_t codec;
  std::uint64_t raw_size;
};
constexpr std::uint32_t kBlobMagic = 0x5a43534d;  // "MSCZ"

class CompressedStorage final : public Storage {
 public:
  CompressedStorage(std::unique_ptr<Storage> inner, Compression compression, int level)
      : inner_(std::move(inner)), compression_(compression), level_(level) {
    if (!inner_) throw std::invalid_argument("make_compressed_storage: null inner level");
    name_ = inner_->name() + "+" + to_string(compression);
  }

  const std::string& name() const noexcept override { return name_; }
  std::uint64_t capacity_bytes() const noexcept override { return inner_->capacity_bytes(); }
  std::uint64_t used_bytes() const noexcept override { return inner_->used_bytes(); }
  std::uint64_t footprint_bytes(std::size_t size) const noexcept override {
    const double ratio = counters_.stored_bytes > 0
                             ? double(counters_.bytes_written) / double(counters_.stored_bytes)
                             : 1.0;
    return inner_->footprint_bytes(sizeof(BlobHeader) +
                                   static_cast<std::size_t>(double(size) / ratio));
  }
  bool persistent() const noexcept override { return inner_->persistent(); }

  void write(CheckpointKey key, const std::byte* data, std::size_t size) override {
    const auto start = Clock::now();
    const std::size_t bound =
        compression_ == Compression::kZstd
            ? ZSTD_compressBound(size)
            : static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(size)));
    buffer_.resize(sizeof(BlobHeader) + bound);
    BlobHeader header{kBlobMagic, static_cast<std::uint32_t>(compression_), size};
    std::memcpy(buffer_.data(), &header, sizeof header);
    std::size_t compressed = 0;
    if (compression_ == Compression::kZstd) {
      if (!context_) context_ = ZSTD_createCCtx();
      compressed =
          ZSTD_compressCCtx(context_, buffer_.data() + sizeof header, bound, data, size, level_);
      if (ZSTD_isError(compressed) != 0u) {
        throw StorageError("level '" + name_ + "': zstd failed on " + to_string(key) + ": " +
                           ZSTD_getErrorName(compressed));
      }
    } else {
      if (size > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) {
        throw StorageError("level '" + name_ + "': " + to_string(key) + " is too large for lz4");
      }
      const int n = LZ4_compress_fast(reinterpret_cast<const char*>(data),
                                      reinterpret_cast<char*>(buffer_.data() + sizeof header),
                                      static_cast<int>(size), static_cast<int>(bound),
                                      level_ < 1 ? 1 : level_);
      if (n <= 0) throw StorageError("level '" + name_ + "': lz4 failed on " + to_string(key));
      compressed = static_cast<std::size_t>(n);
    }
    const double codec = std::chrono::duration<double>(Clock::now() - start).count();
    inner_->write(key, buffer_.data(), sizeof header + compressed);
    raw_sizes_[pack(key)] = size;
    counters_.writes += 1;
    counters_.bytes_written += static_cast<std::int64_t>(size);
    counters_.stored_bytes += static_cast<std::int64_t>(sizeof header + compressed);
    counters_.codec_seconds += codec;
    counters_.write_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    update_peaks();
  }

  std::size_t size(CheckpointKey key) const override {
    auto it = raw_sizes_.find(pack(key));
    if (it != raw_sizes_.end()) return it->second;
    // A checkpoint adopted from an earlier run: its header says.
    std::vector<std::byte> blob(inner_->size(key));
    inner_->read(key, blob.data(), blob.size());
    BlobHeader header{};
    if (blob.size() < sizeof header) {
      throw ChecksumError("level '" + name_ + "': " + to_string(key) + " is not compressed data");
    }
    std::memcpy(&header, blob.data(), sizeof header);
    raw_sizes_[pack(key)] = static_cast<std::size_t>(header.raw_size);
    return static_cast<std::size_t>(header.raw_size);
  }

  void read(CheckpointKey key, std::byte* out, std::size_t size) override {
    const auto start = Clock::now();
    read_buffer_.resize(inner_->size(key));
    inner_->read(key, read_buffer_.data(), read_buffer_.size());
    const auto decode = Clock::now();
    BlobHeader header{};
    if (read_buffer_.size() < sizeof header) {
      throw ChecksumError("level '" + name_ + "': " + to_string(key) + " is not compressed data");
    }
    std::memcpy(&header, read_buffer_.data(), sizeof header);
    if (header.magic != kBlobMagic || header.raw_size != size) {
      throw ChecksumError("level '" + name_ + "': " + to_string(key) +
                          " has a bad compression header");
    }
    const std::byte* payload = read_buffer_.data() + sizeof header;
    const std::size_t payload_size = read_buffer_.size() - sizeof header;
    bool ok;
    if (header.codec == static_cast<std::uint32_t>(Compression::kZstd)) {
      const std::size_t n = ZSTD_decompress(out, size, payload, payload_size);
      ok = ZSTD_isError(n) == 0u && n == size;
    } else {
      const int n =
          LZ4_decompress_safe(reinterpret_cast<const char*>(payload), reinterpret_cast<char*>(out),
                              static_cast<int>(payload_size), static_cast<int>(size));
      ok = n >= 0 && static_cast<std::size_t>(n) == size;
    }
    if (!ok) {
      throw ChecksumError("level '" + name_ + "': " + to_string(key) + " does not decompress");
    }
    counters_.codec_seconds += std::chrono::duration<double>(Clock::now() - decode).count();
    counters_.reads += 1;
    counters_.bytes_read += static_cast<std::int64_t>(size);
    counters_.read_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }

  void release(CheckpointKey key) override {
    inner_->release(key);
    raw_sizes_.erase(pack(key));
    counters_.releases += 1;
  }
  bool contains(CheckpointKey key) const noexcept override { return inner_->contains(key); }
  std::vector<CheckpointKey> keys() const override { return inner_->keys(); }
  void prefetch(CheckpointKey key) noexcept override { inner_->prefetch(key); }

  const StorageCounters& counters() const noexcept override {
    counters_.prefetch_hits = inner_->counters().prefetch_hits;
    return counters_;
  }

  ~CompressedStorage() override {
    if (context_) ZSTD_freeCCtx(context_);
  }

 private:
  void update_peaks() {
    counters_.peak_used_bytes =
        std::max(counters_.peak_used_bytes, static_cast<std::int64_t>(inner_->used_bytes()));
    counters_.peak_checkpoints = inner_->counters().peak_checkpoints;
  }

  std::unique_ptr<Storage> inner_;
  Compression compression_;
  int level_;
  std::string name_;
  ZSTD_CCtx* context_ = nullptr;
  std::vector<std::byte> buffer_;
  std::vector<std::byte> read_buffer_;
  mutable std::unordered_map<std::uint64_t, std::size_t> raw_sizes_;
  mutable StorageCounters counters_;
};

}  // namespace

std::unique_ptr<Storage> make_compressed_storage(std::unique_ptr<Storage> inner,
                                                 Compression compression, int level) {
  return std::make_unique<CompressedStorage>(std::move(inner), compression, level);
}

}  // namespace memsched
