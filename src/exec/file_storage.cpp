// The disk level: one checksummed file per checkpoint, atomic writes, a read-ahead thread.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "memsched/exec/codec.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kMagic[8] = {'M', 'S', 'C', 'H', 'K', 'P', 'T', '1'};

// The 48-byte header in front of every checkpoint's bytes.
struct Header {
  char magic[8];
  std::int64_t step;
  std::uint32_t content;
  std::uint32_t reserved;
  std::uint64_t size;
  std::uint64_t payload_hash;
  std::uint64_t header_hash;  // of the 40 bytes before it
};
static_assert(sizeof(Header) == 48, "the file header is 48 bytes");

std::uint64_t pack(CheckpointKey key) {
  return (static_cast<std::uint64_t>(key.step) << 1) | (key.content == Content::kTape ? 1u : 0u);
}

std::string file_name(CheckpointKey key) {
  // A negative step is the cost probe of measure_storage_cost.
  return (key.content == Content::kState ? "state_" : "tape_") +
         (key.step < 0 ? "probe" : std::to_string(key.step)) + ".ckpt";
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly size bytes; false with errno set (0 for a short file).
bool read_all(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = 0;
      return false;
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

class FileStorage final : public Storage {
 public:
  FileStorage(fs::path directory, std::uint64_t capacity, FileStorageOptions options,
              std::string name)
      : directory_(std::move(directory)),
        capacity_(capacity),
        options_(options),
        name_(std::move(name)) {
    if (capacity == 0) throw std::invalid_argument("make_file_storage: capacity_bytes must be > 0");
    if (name_.empty()) throw std::invalid_argument("make_file_storage: empty name");
    std::error_code error;
    fs::create_directories(directory_, error);
    if (error || !fs::is_directory(directory_)) {
      throw StorageError(prefix() + "cannot use folder " + directory_.string() +
                         (error ? ": " + error.message() : ""));
    }
    for (const fs::directory_entry& entry : fs::directory_iterator(directory_, error)) {
      const fs::path path = entry.path();
      const std::string file = path.filename().string();
      const bool ours = (file.rfind("state_", 0) == 0 || file.rfind("tape_", 0) == 0);
      if (!ours) continue;
      if (path.extension() == ".tmp" || !options_.keep_files) {
        fs::remove(path, error);
        continue;
      }
      adopt(path);
    }
    if (options_.read_ahead) worker_ = std::thread([this] { run_read_ahead(); });
  }

  ~FileStorage() override {
    if (worker_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
      }
      wake_.notify_all();
      worker_.join();
    }
    if (!options_.keep_files) {
      std::error_code ignored;
      for (const auto& entry : files_) fs::remove(path_of(entry.second.key), ignored);
    }
  }

  const std::string& name() const noexcept override { return name_; }
  std::uint64_t capacity_bytes() const noexcept override { return capacity_; }
  std::uint64_t used_bytes() const noexcept override { return used_; }
  std::uint64_t footprint_bytes(std::size_t size) const noexcept override {
    return sizeof(Header) + size;
  }
  bool persistent() const noexcept override { return true; }

  void write(CheckpointKey key, const std::byte* data, std::size_t size) override {
    const auto start = Clock::now();
    if (files_.count(pack(key)) != 0) {
      throw StorageError(prefix() + to_string(key) + " is already stored");
    }
    if (used_ + footprint_bytes(size) > capacity_) {
      throw StorageError(prefix() + "no room for " + to_string(key) + " (" +
                         std::to_string(footprint_bytes(size)) + " bytes; " +
                         std::to_string(used_) + " of " + std::to_string(capacity_) +
                         " bytes in use)");
    }
    Header header{};
    std::memcpy(header.magic, kMagic, 8);
    header.step = key.step;
    header.content = key.content == Content::kTape ? 1u : 0u;
    header.size = size;
    header.payload_hash = hash_bytes(data, size);
    header.header_hash = hash_bytes(&header, offsetof(Header, header_hash));
    const fs::path path = path_of(key);
    fs::path temporary = path;
    temporary += ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail_write(key, temporary, errno, -1);
    if (!write_all(fd, &header, sizeof header) || !write_all(fd, data, size)) {
      fail_write(key, temporary, errno, fd);
    }
    if (::close(fd) != 0) fail_write(key, temporary, errno, -1);
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail_write(key, temporary, errno, -1);
    files_[pack(key)] = {key, size};
    used_ += footprint_bytes(size);
    counters_.count_write(size, size, used_, files_.size(),
                          std::chrono::duration<double>(Clock::now() - start).count());
  }

  std::size_t size(CheckpointKey key) const override { return find(key).size; }

  void read(CheckpointKey key, std::byte* out, std::size_t size) override {
    const auto start = Clock::now();
    const File& file = find(key);
    if (size != file.size) {
      throw StorageError(prefix() + "reading " + to_string(key) + " into " + std::to_string(size) +
                         " bytes, it has " + std::to_string(file.size));
    }
    if (!take_prefetched(key, out, size)) read_file(key, out, size);
    counters_.reads += 1;
    counters_.bytes_read += static_cast<std::int64_t>(size);
    counters_.read_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }

  void release(CheckpointKey key) override {
    const File& file = find(key);
    used_ -= footprint_bytes(file.size);
    files_.erase(pack(key));
    drop_prefetched(key);
    std::error_code error;
    fs::remove(path_of(key), error);
    counters_.releases += 1;
    if (error) {
      throw StorageError(prefix() + "removing " + path_of(key).string() +
                         " failed: " + error.message());
    }
  }

  bool contains(CheckpointKey key) const noexcept override { return files_.count(pack(key)) != 0; }
  std::vector<CheckpointKey> keys() const override {
    std::vector<CheckpointKey> list;
    for (const auto& entry : files_) list.push_back(entry.second.key);
    return list;
  }

  void prefetch(CheckpointKey key) noexcept override {
    if (!worker_.joinable() || !contains(key)) return;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& entry : cache_) {
        if (entry->key == key) return;
      }
      // Keep at most two read-ahead buffers: drop the oldest one not being read.
      if (cache_.size() >= 2) {
        for (auto it = cache_.begin(); it != cache_.end(); ++it) {
          if ((*it)->state != Entry::kReading) {
            cache_.erase(it);
            break;
          }
        }
      }
      if (cache_.size() >= 2) return;
      auto entry = std::make_shared<Entry>();
      entry->key = key;
      entry->size = files_.at(pack(key)).size;
      cache_.push_back(std::move(entry));
    } catch (...) {
      return;  // a hint only
    }
    wake_.notify_all();
  }

  const StorageCounters& counters() const noexcept override { return counters_; }

 private:
  struct File {
    CheckpointKey key;
    std::size_t size;
  };
  struct Entry {
    enum State { kQueued, kReading, kDone, kFailed } state = kQueued;
    CheckpointKey key;
    std::size_t size = 0;
    std::vector<std::byte> data;
  };

  std::string prefix() const { return "disk level '" + name_ + "': "; }
  fs::path path_of(CheckpointKey key) const { return directory_ / file_name(key); }

  const File& find(CheckpointKey key) const {
    auto it = files_.find(pack(key));
    if (it == files_.end()) throw StorageError(prefix() + to_string(key) + " is not stored");
    return it->second;
  }

  [[noreturn]] void fail_write(CheckpointKey key, const fs::path& temporary, int error, int fd) {
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());  // the level stays as it was before the call
    throw StorageError(prefix() + "writing " + to_string(key) + " to " + path_of(key).string() +
                       " failed: " + std::strerror(error));
  }

  // Reads and verifies one file (any thread). Throws StorageError / ChecksumError.
  void read_file(CheckpointKey key, std::byte* out, std::size_t size) const {
    const fs::path path = path_of(key);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw StorageError(prefix() + "reading " + to_string(key) + " from " + path.string() +
                         " failed: " + std::strerror(errno));
    }
    Header header{};
    const bool ok = read_all(fd, &header, sizeof header) && read_all(fd, out, size);
    const int error = errno;
    char extra;
    const bool longer = ok && ::read(fd, &extra, 1) > 0;
    ::close(fd);
    if (!ok) {
      throw ChecksumError(
          prefix() + "reading " + to_string(key) + " from " + path.string() +
          " failed: " + (error == 0 ? "the file is truncated" : std::strerror(error)));
    }
    if (std::memcmp(header.magic, kMagic, 8) != 0 ||
        header.header_hash != hash_bytes(&header, offsetof(Header, header_hash)) ||
        header.step != key.step || header.content != (key.content == Content::kTape ? 1u : 0u) ||
        header.size != size || longer) {
      throw ChecksumError(prefix() + "checksum error in " + path.string() +
                          ": the header does not match " + to_string(key) +
                          " (the file is corrupt or was replaced)");
    }
    if (header.payload_hash != hash_bytes(out, size)) {
      throw ChecksumError(prefix() + "checksum error in " + path.string() + " (" + to_string(key) +
                          "): the data does not match the checksum written " +
                          "with it (the file is corrupt)");
    }
  }

  void adopt(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    Header header{};
    const bool ok = read_all(fd, &header, sizeof header);
    ::close(fd);
    if (!ok || std::memcmp(header.magic, kMagic, 8) != 0 ||
        header.header_hash != hash_bytes(&header, offsetof(Header, header_hash))) {
      return;  // not a checkpoint: left alone, reported by a read if the schedule needs it
    }
    const CheckpointKey key{header.step, header.content == 1 ? Content::kTape : Content::kState};
    if (path.filename() != file_name(key)) return;
    files_[pack(key)] = {key, static_cast<std::size_t>(header.size)};
    used_ += footprint_bytes(static_cast<std::size_t>(header.size));
  }

  bool take_prefetched(CheckpointKey key, std::byte* out, std::size_t size) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      std::shared_ptr<Entry> entry = *it;
      if (entry->key != key) continue;
      if (entry->state == Entry::kQueued) {
        cache_.erase(it);  // not started: reading it here is as fast
        return false;
      }
      done_.wait(lock, [&] { return entry->state != Entry::kReading; });
      cache_.erase(std::find(cache_.begin(), cache_.end(), entry));
      if (entry->state != Entry::kDone || entry->data.size() != size) return false;
      std::memcpy(out, entry->data.data(), size);
      counters_.prefetch_hits += 1;
      return true;
    }
    return false;
  }

  void drop_prefetched(CheckpointKey key) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      if ((*it)->key != key) continue;
      std::shared_ptr<Entry> entry = *it;
      done_.wait(lock, [&] { return entry->state != Entry::kReading; });
      cache_.erase(std::find(cache_.begin(), cache_.end(), entry));
      return;
    }
  }

  void run_read_ahead() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] {
        if (stop_) return true;
        for (const auto& entry : cache_) {
          if (entry->state == Entry::kQueued) return true;
        }
        return false;
      });
      if (stop_) return;
      std::shared_ptr<Entry> entry;
      for (const auto& candidate : cache_) {
        if (candidate->state == Entry::kQueued) {
          entry = candidate;
          break;
        }
      }
      entry->state = Entry::kReading;
      lock.unlock();
      bool ok = true;
      try {
        entry->data.resize(entry->size);
        read_file(entry->key, entry->data.data(), entry->size);
      } catch (...) {
        ok = false;  // the foreground read repeats it and reports the error
      }
      lock.lock();
      entry->state = ok ? Entry::kDone : Entry::kFailed;
      done_.notify_all();
    }
  }

  fs::path directory_;
  std::uint64_t capacity_;
  FileStorageOptions options_;
  std::string name_;
  std::unordered_map<std::uint64_t, File> files_;
  std::uint64_t used_ = 0;
  StorageCounters counters_;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::shared_ptr<Entry>> cache_;
  bool stop_ = false;
};

}  // namespace

std::unique_ptr<Storage> make_file_storage(const std::filesystem::path& directory,
                                           std::uint64_t capacity_bytes, FileStorageOptions options,
                                           std::string name) {
  return std::make_unique<FileStorage>(directory, capacity_bytes, options, std::move(name));
}

}  // namespace memsched
