// The executor's resume journal: the files that let a run killed during its reverse sweep
// resume from its persisted checkpoints (ExecutorOptions::journal, ::resume).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "exec/detail/schedule_identity.hpp"
#include "memsched/chain/action.hpp"

namespace memsched::detail {

/// Where the interrupted run stood after its last journaled action.
struct JournalEntry {
  Step num_steps = 0;
  std::int64_t action_index = 0;    ///< actions executed
  std::uint64_t schedule_hash = 0;  ///< schedule_hash of those actions
  Step working_step = 0;            ///< the working state's step as the schedule sees it
  std::vector<std::byte> adjoint;   ///< the adjoint's bytes (StepBinding::save_adjoint)
};

/// The first forward sweep's state hashes (the replay check's reference), written once.
struct JournalHashes {
  Step num_steps = 0;
  Step reached = 0;                   ///< largest state hashed
  Step stride = 1;                    ///< replay-check stride when written
  std::vector<std::uint64_t> hashes;  ///< num_steps + 1 entries, 0 where not hashed
};

/// The two files of a journal at `path`: `path` (a JournalEntry, rewritten after actions) and
/// `path.hashes` (JournalHashes). Each is written atomically (a temporary file, then a rename)
/// with a checksum, so a run killed while writing leaves the previous entry.
class ResumeJournal {
 public:
  explicit ResumeJournal(std::filesystem::path path);

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path hashes_path() const;

  /// Throws StorageError if a file cannot be written or renamed.
  void write(const JournalEntry& entry) const;
  void write_hashes(const JournalHashes& hashes) const;

  /// Throws ResumeError if the file is missing, truncated, corrupt (checksum) or not a
  /// journal.
  JournalEntry read() const;
  /// As read(); also throws ResumeError if the hashes are for another number of steps.
  JournalHashes read_hashes(Step num_steps) const;

  /// Removes both files (a finished run leaves none); errors are ignored.
  void remove() const noexcept;

 private:
  std::filesystem::path path_;
};

}  // namespace memsched::detail
