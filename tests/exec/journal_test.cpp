// Tests of the executor's resume journal files (src/exec/journal.hpp): round trips, and one
// clear ResumeError for every damaged or foreign file.
#include "exec/journal.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "memsched/exec/executor.hpp"
#include "temp_dir.hpp"

namespace memsched::detail {
namespace {

JournalEntry sample_entry() {
  JournalEntry entry;
  entry.num_steps = 40;
  entry.action_index = 17;
  entry.schedule_hash = 0x0123456789abcdefULL;
  entry.working_step = 12;
  entry.adjoint = {std::byte{1}, std::byte{2}, std::byte{3}};
  return entry;
}

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void expect_resume_error(const std::function<void()>& f, const std::string& words) {
  try {
    f();
    ADD_FAILURE() << "no ResumeError (" << words << ")";
  } catch (const ResumeError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(ResumeJournal, RoundTrips) {
  testing::TempDir dir("journal-round-trip");
  const ResumeJournal journal(dir.path() / "run.journal");
  EXPECT_EQ(journal.hashes_path(), dir.path() / "run.journal.hashes");
  journal.write(sample_entry());
  const JournalEntry entry = journal.read();
  EXPECT_EQ(entry.num_steps, 40);
  EXPECT_EQ(entry.action_index, 17);
  EXPECT_EQ(entry.schedule_hash, 0x0123456789abcdefULL);
  EXPECT_EQ(entry.working_step, 12);
  EXPECT_EQ(entry.adjoint, sample_entry().adjoint);

  JournalHashes hashes{3, 2, 1, {11, 22, 33, 0}};
  journal.write_hashes(hashes);
  const JournalHashes back = journal.read_hashes(3);
  EXPECT_EQ(back.reached, 2);
  EXPECT_EQ(back.stride, 1);
  EXPECT_EQ(back.hashes, hashes.hashes);

  journal.remove();
  EXPECT_FALSE(std::filesystem::exists(journal.path()));
  EXPECT_FALSE(std::filesystem::exists(journal.hashes_path()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run.journal.tmp"));
}

TEST(ResumeJournal, DamagedOrForeignFilesAreResumeErrors) {
  testing::TempDir dir("journal-damaged");
  const ResumeJournal journal(dir.path() / "run.journal");
  expect_resume_error([&] { journal.read(); }, "no journal file");
  journal.write(sample_entry());
  const std::string good = contents(journal.path());

  std::string flipped = good;
  flipped[20] = static_cast<char>(flipped[20] ^ 1);
  overwrite(journal.path(), flipped);
  expect_resume_error([&] { journal.read(); }, "checksum");

  overwrite(journal.path(), good.substr(0, 10));
  expect_resume_error([&] { journal.read(); }, "truncated");

  journal.write_hashes({40, 40, 1, std::vector<std::uint64_t>(41, 7)});
  expect_resume_error([&] { journal.read_hashes(39); }, "does not belong to this run");
  // A hashes file where the journal should be: a valid file, but not a journal.
  std::filesystem::copy_file(journal.hashes_path(), journal.path(),
                             std::filesystem::copy_options::overwrite_existing);
  expect_resume_error([&] { journal.read(); }, "not a memsched journal");
}

TEST(ResumeJournal, ActionHashTellsActionsApart) {
  EXPECT_EQ(action_hash(Action::forward(0, 3)), action_hash(Action::forward(0, 3)));
  EXPECT_NE(action_hash(Action::forward(0, 3)), action_hash(Action::forward(0, 4)));
  EXPECT_NE(action_hash(Action::forward(0, 3)), action_hash(Action::forward(0, 3, true)));
  EXPECT_NE(action_hash(Action::copy(2, Content::kState, kWork, 0)),
            action_hash(Action::move(2, Content::kState, kWork, 0)));
}

}  // namespace
}  // namespace memsched::detail
