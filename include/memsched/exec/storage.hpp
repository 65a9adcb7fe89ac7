// Real storage levels for checkpoints: preallocated RAM, checksummed files with read-ahead, and
// a compressing decorator; capacities in bytes, costs measured.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/chain/action.hpp"

namespace memsched {

/// An I/O failure of a storage level (disk full, permission denied, missing file, capacity
/// exceeded, ...). what() names the level, the checkpoint and the cause, e.g.
/// "disk level 'disk': writing state x_12 to /tmp/run/state_12.ckpt failed: No space left on
/// device". A failed write leaves the level as it was before the call.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A checkpoint whose bytes do not match the checksum written with them (a corrupted file).
class ChecksumError : public StorageError {
 public:
  using StorageError::StorageError;
};

/// What a storage level holds: one checkpoint, a state x_step or the tape of step `step`.
struct CheckpointKey {
  Step step = 0;
  Content content = Content::kState;

  friend bool operator==(CheckpointKey a, CheckpointKey b) noexcept {
    return a.step == b.step && a.content == b.content;
  }
  friend bool operator!=(CheckpointKey a, CheckpointKey b) noexcept { return !(a == b); }
};

/// "state x_12" or "tape of step 12".
std::string to_string(CheckpointKey key);

/// Running totals of one storage level (what it did, not what it was asked to plan).
struct StorageCounters {
  std::int64_t writes = 0;
  std::int64_t reads = 0;
  std::int64_t releases = 0;
  std::int64_t bytes_written = 0;  ///< bytes handed to write() (before compression)
  std::int64_t bytes_read = 0;     ///< bytes returned by read() (after decompression)
  std::int64_t stored_bytes = 0;   ///< bytes that reached the medium (after compression)
  double write_seconds = 0;        ///< wall time inside write()
  double read_seconds = 0;         ///< wall time inside read(), waits for read-ahead included
  std::int64_t prefetch_hits = 0;  ///< reads served by a completed read-ahead
  double codec_seconds = 0;        ///< compression and decompression time (compressed levels)
  std::int64_t peak_used_bytes = 0;
  std::int64_t peak_checkpoints = 0;

  /// Counts a write of `size` bytes of which `stored` reached the medium, after which the
  /// level uses `used_bytes` in `checkpoints` checkpoints; it took `seconds`.
  void count_write(std::size_t size, std::size_t stored, std::size_t used_bytes,
                   std::size_t checkpoints, double seconds) noexcept {
    writes += 1;
    bytes_written += static_cast<std::int64_t>(size);
    stored_bytes += static_cast<std::int64_t>(stored);
    peak_used_bytes = std::max(peak_used_bytes, static_cast<std::int64_t>(used_bytes));
    peak_checkpoints = std::max(peak_checkpoints, static_cast<std::int64_t>(checkpoints));
    write_seconds += seconds;
  }
};

/// One storage level: a place that holds checkpoints as byte blobs, keyed by CheckpointKey.
///
/// Contract: write() of a key already held or beyond capacity_bytes() throws StorageError and
/// changes nothing; read() keeps the checkpoint; release() frees it. Implementations are not
/// thread-safe (one executor drives one level); read-ahead threads are internal.
class Storage {
 public:
  virtual ~Storage() = default;

  /// The level's name ("ram", "disk", ...), used in messages and profiles.
  virtual const std::string& name() const noexcept = 0;
  /// Most bytes the level holds at once (kept blobs and their headers).
  virtual std::uint64_t capacity_bytes() const noexcept = 0;
  /// Bytes used now.
  virtual std::uint64_t used_bytes() const noexcept = 0;
  /// Bytes the level uses to keep a blob of `size` bytes (header and alignment included); for a
  /// compressed level, the bytes of the compressed blob measured last (an estimate).
  virtual std::uint64_t footprint_bytes(std::size_t size) const noexcept = 0;
  /// Whether checkpoints survive the process (files), so that a later run can resume.
  virtual bool persistent() const noexcept { return false; }

  virtual void write(CheckpointKey key, const std::byte* data, std::size_t size) = 0;
  /// Size in bytes of a held checkpoint; throws StorageError if the level does not hold it.
  virtual std::size_t size(CheckpointKey key) const = 0;
  /// Copies the checkpoint into `out`, which has size(key) bytes; throws StorageError (or
  /// ChecksumError) on failure.
  virtual void read(CheckpointKey key, std::byte* out, std::size_t size) = 0;
  virtual void release(CheckpointKey key) = 0;
  /// Zero-copy write, for levels in this process's memory: reserves `size` bytes for `key`
  /// inside the level and returns them for the caller to fill before any other call (the
  /// checkpoint counts as written); nullptr if the level cannot (then call write()). Throws
  /// as write() does.
  virtual std::byte* write_in_place(CheckpointKey /*key*/, std::size_t /*size*/) { return nullptr; }
  /// Zero-copy read: the checkpoint's bytes inside the level, valid until the next non-const
  /// call; nullptr if the level cannot (then call read()). Throws as read() does.
  virtual const std::byte* read_in_place(CheckpointKey /*key*/) { return nullptr; }
  virtual bool contains(CheckpointKey key) const noexcept = 0;
  /// Every checkpoint held, in no particular order.
  virtual std::vector<CheckpointKey> keys() const = 0;
  /// Hint: `key` will be read soon; a level with slow reads starts reading it in the
  /// background. Never throws; errors surface in the read().
  virtual void prefetch(CheckpointKey /*key*/) noexcept {}

  virtual const StorageCounters& counters() const noexcept = 0;
};

/// RAM: one arena of `capacity_bytes` allocated and touched up front (so the peak memory is
/// known before the run), blobs placed first-fit in it (64-byte aligned). Throws
/// std::invalid_argument if the capacity is 0 or the name is empty, std::bad_alloc if the
/// arena cannot be allocated.
std::unique_ptr<Storage> make_ram_storage(std::uint64_t capacity_bytes, std::string name = "ram");

/// Options of a file level.
struct FileStorageOptions {
  /// Read the next checkpoint the schedule needs on a background thread (Storage::prefetch).
  bool read_ahead = true;
  /// Keep the files when the level is destroyed, and adopt the valid checkpoint files found in
  /// the folder at construction (to resume a run); otherwise the folder's checkpoint files are
  /// removed at construction and destruction.
  bool keep_files = false;
};

/// Disk: one file per checkpoint ("state_<step>.ckpt", "tape_<step>.ckpt") in `directory`
/// (created if missing), each a 48-byte header (magic, key, size, checksums) and the payload.
/// A write goes to a temporary file renamed into place, so a crash never leaves a half-written
/// checkpoint under a valid name; a failed write (disk full, file size limit) removes its
/// temporary file and throws StorageError. Reads verify the checksum (ChecksumError).
/// Throws StorageError if the folder cannot be created or used, std::invalid_argument on a
/// zero capacity or empty name.
std::unique_ptr<Storage> make_file_storage(const std::filesystem::path& directory,
                                           std::uint64_t capacity_bytes,
                                           FileStorageOptions options = {},
                                           std::string name = "disk");

/// Lossless codecs for the compressing decorator.
enum class Compression { kZstd, kLz4 };

/// "zstd" / "lz4".
const char* to_string(Compression compression) noexcept;

/// A decorator that compresses each checkpoint before handing it to `inner` (zstd at `level`,
/// or lz4 with `level` as its acceleration). The level's name is "<inner>+zstd". Codec time is
/// counted in counters().codec_seconds and the compressed sizes in stored_bytes, so the
/// profile shows whether compressing pays. Throws std::invalid_argument on a null inner level.
std::unique_ptr<Storage> make_compressed_storage(std::unique_ptr<Storage> inner,
                                                 Compression compression, int level = 1);

/// Measured cost of one storage level for checkpoints of one size, in seconds.
struct LevelCost {
  double write_seconds = 0;           ///< one write of a checkpoint
  double read_seconds = 0;            ///< one read of it (without read-ahead)
  std::uint64_t footprint_bytes = 0;  ///< bytes one checkpoint occupies on the level
};

/// Measures a level by writing, reading and releasing `sample` (a real checkpoint, so that a
/// compressing level sees real data) `repetitions` times; the median is kept. The level must
/// have room for one checkpoint; it is left as it was. Throws what the level throws.
LevelCost measure_storage_cost(Storage& storage, const std::vector<std::byte>& sample,
                               int repetitions = 5);

}  // namespace memsched
