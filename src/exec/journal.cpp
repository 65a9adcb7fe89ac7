// The executor's resume journal (see journal.hpp): file format, atomic writes, checked reads.
#include "journal.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>

#include "memsched/exec/codec.hpp"
#include "memsched/exec/executor.hpp"
#include "memsched/exec/storage.hpp"

namespace memsched::detail {

namespace {

constexpr char kJournalMagic[8] = {'M', 'S', 'J', 'R', 'N', 'L', '0', '1'};
constexpr char kHashesMagic[8] = {'M', 'S', 'H', 'A', 'S', 'H', '0', '1'};

void append(std::vector<std::byte>& out, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::byte*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

template <typename T>
void append_value(std::vector<std::byte>& out, T value) {
  append(out, &value, sizeof value);
}

// Writes `bytes` plus a checksum to `path` atomically (temporary file, then rename).
void write_atomically(const std::filesystem::path& path, std::vector<std::byte> bytes) {
  append_value(bytes, hash_bytes(bytes.data(), bytes.size()));
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw StorageError("resume journal: writing " + temporary.string() + " failed");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw StorageError("resume journal: renaming " + temporary.string() +
                       " failed: " + error.message());
  }
}

std::vector<std::byte> read_checked(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ResumeError("resume: no journal file " + path.string());
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (raw.size() < 16) throw ResumeError("resume: " + path.string() + " is truncated");
  std::vector<std::byte> bytes(raw.size() - 8);
  std::memcpy(bytes.data(), raw.data(), bytes.size());
  std::uint64_t checksum = 0;
  std::memcpy(&checksum, raw.data() + bytes.size(), 8);
  if (checksum != hash_bytes(bytes.data(), bytes.size())) {
    throw ResumeError("resume: " + path.string() + " fails its checksum (corrupt journal)");
  }
  return bytes;
}

class Reader {
 public:
  Reader(const std::vector<std::byte>& bytes, std::string what)
      : bytes_(&bytes), what_(std::move(what)) {}
  template <typename T>
  T value() {
    T v{};
    take(&v, sizeof v);
    return v;
  }
  void take(void* out, std::size_t size) {
    if (size > bytes_->size() - position_) throw ResumeError("resume: " + what_ + " is truncated");
    std::memcpy(out, bytes_->data() + position_, size);
    position_ += size;
  }

 private:
  const std::vector<std::byte>* bytes_;
  std::string what_;
  std::size_t position_ = 0;
};

}  // namespace

ResumeJournal::ResumeJournal(std::filesystem::path path) : path_(std::move(path)) {}

std::filesystem::path ResumeJournal::hashes_path() const {
  std::filesystem::path path = path_;
  path += ".hashes";
  return path;
}

void ResumeJournal::write(const JournalEntry& entry) const {
  std::vector<std::byte> bytes;
  append(bytes, kJournalMagic, 8);
  append_value(bytes, static_cast<std::int64_t>(entry.num_steps));
  append_value(bytes, static_cast<std::int64_t>(entry.action_index));
  append_value(bytes, entry.schedule_hash);
  append_value(bytes, static_cast<std::int64_t>(entry.working_step));
  append_value(bytes, static_cast<std::uint64_t>(entry.adjoint.size()));
  append(bytes, entry.adjoint.data(), entry.adjoint.size());
  write_atomically(path_, std::move(bytes));
}

void ResumeJournal::write_hashes(const JournalHashes& hashes) const {
  std::vector<std::byte> bytes;
  append(bytes, kHashesMagic, 8);
  append_value(bytes, static_cast<std::int64_t>(hashes.num_steps));
  append_value(bytes, static_cast<std::int64_t>(hashes.reached));
  append_value(bytes, static_cast<std::int64_t>(hashes.stride));
  append(bytes, hashes.hashes.data(), hashes.hashes.size() * 8);
  write_atomically(hashes_path(), std::move(bytes));
}

JournalEntry ResumeJournal::read() const {
  const std::vector<std::byte> bytes = read_checked(path_);
  Reader in(bytes, path_.string());
  char magic[8];
  in.take(magic, 8);
  if (std::memcmp(magic, kJournalMagic, 8) != 0) {
    throw ResumeError("resume: " + path_.string() + " is not a memsched journal");
  }
  JournalEntry entry;
  entry.num_steps = in.value<std::int64_t>();
  entry.action_index = in.value<std::int64_t>();
  entry.schedule_hash = in.value<std::uint64_t>();
  entry.working_step = in.value<std::int64_t>();
  const auto adjoint_size = in.value<std::uint64_t>();
  if (adjoint_size > bytes.size()) throw ResumeError("resume: " + path_.string() + " is truncated");
  entry.adjoint.resize(static_cast<std::size_t>(adjoint_size));
  in.take(entry.adjoint.data(), entry.adjoint.size());
  return entry;
}

JournalHashes ResumeJournal::read_hashes(Step num_steps) const {
  const std::filesystem::path path = hashes_path();
  const std::vector<std::byte> bytes = read_checked(path);
  Reader in(bytes, path.string());
  char magic[8];
  in.take(magic, 8);
  JournalHashes hashes;
  if (std::memcmp(magic, kHashesMagic, 8) != 0 ||
      (hashes.num_steps = in.value<std::int64_t>()) != num_steps) {
    throw ResumeError("resume: " + path.string() + " does not belong to this run");
  }
  hashes.reached = in.value<std::int64_t>();
  hashes.stride = in.value<std::int64_t>();
  const auto count = static_cast<std::size_t>(num_steps + 1);
  if (count > bytes.size() / 8) throw ResumeError("resume: " + path.string() + " is truncated");
  hashes.hashes.assign(count, 0);
  in.take(hashes.hashes.data(), count * 8);
  return hashes;
}

void ResumeJournal::remove() const noexcept {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  std::filesystem::remove(hashes_path(), ignored);
}

std::uint64_t action_hash(const Action& action) {
  const std::int64_t fields[] = {static_cast<std::int64_t>(action.kind),
                                 static_cast<std::int64_t>(action.content),
                                 action.flag ? 1 : 0,
                                 action.from,
                                 action.to,
                                 action.begin,
                                 action.end,
                                 action.step};
  return hash_bytes(fields, sizeof fields);
}

}  // namespace memsched::detail
