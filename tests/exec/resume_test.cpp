// Resumable adjoints: a run killed with a signal during the reverse sweep is resumed by a later
// executor from its persisted checkpoints and journal, with the same gradient bit for bit;
// a corrupted checkpoint file is a clear checksum error, not a wrong gradient.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "burgers_support.hpp"
#include "memsched/exec/model.hpp"
#include "memsched/plan/revolve.hpp"
#include "temp_dir.hpp"

namespace memsched {
namespace {

using testing::bitwise_equal;

// Burgers whose adjoint step is slow, or kills its own process at one step.
struct Interruptible {
  using State = Burgers::State;
  using Adjoint = Burgers::Adjoint;
  const Burgers* burgers;
  Step kill_at = -1;
  int sleep_us = 0;
  void advance(State& x, Step k) { burgers->advance(x, k); }
  void seed(const State& x, Adjoint& y) { burgers->seed(x, y); }
  void reverse(const State& x, Adjoint& y, Step k) {
    if (k == kill_at) raise(SIGKILL);
    if (sleep_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    burgers->reverse(x, y, k);
  }
};

constexpr Step kSteps = 200;
constexpr std::int64_t kSlots = 8;

// Revolve with its early checkpoints on disk (level 1) and the late ones in RAM (level 0):
// RAM checkpoints die with the process and must be rebuilt on resume.
struct RunSetup {
  Burgers model{64, 0.01};
  Burgers::State u0 = model.initial_state();
  testing::TempDir dir;
  explicit RunSetup(const std::string& name) : dir(name) {}
  std::filesystem::path disk_path() const { return dir.path() / "disk"; }
  std::filesystem::path journal() const { return dir.path() / "journal"; }

  bool compressed = false;

  ExecutionProfile run(Interruptible& m, Burgers::Adjoint& y, bool resume) {
    RevolveStream revolve(kSteps, kSlots);
    testing::LevelByStep schedule(revolve, kSteps / 2, 1, 0);
    auto ram = testing::ram_slots(model, kSlots);
    std::unique_ptr<Storage> disk = make_file_storage(disk_path(), 16 << 20, {true, true});
    if (compressed) disk = make_compressed_storage(std::move(disk), Compression::kLz4);
    ExecutorOptions options;
    options.journal = journal();
    options.resume = resume;
    return run_adjoint(m, u0, y, schedule, kSteps, {ram.get(), disk.get()}, options);
  }
};

int wait_for(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

TEST(Resume, KilledAtAKnownStepResumesToTheSameGradient) {
  RunSetup setup("resume-known");
  Burgers::Adjoint reference;
  burgers_gradient_store_all(setup.model, setup.u0, kSteps, reference);
  for (Step kill_at : {kSteps - 1, Step{150}, Step{60}, Step{3}}) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      Interruptible m{&setup.model, kill_at};
      Burgers::Adjoint y;
      try {
        setup.run(m, y, false);
      } catch (...) {
        _exit(3);
      }
      _exit(4);  // not killed: the test is wrong
    }
    const int status = wait_for(child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "kill_at " << kill_at << " status " << status;
    ASSERT_EQ(WTERMSIG(status), SIGKILL);
    ASSERT_TRUE(std::filesystem::exists(setup.journal()));

    Interruptible m{&setup.model};
    Burgers::Adjoint y;
    const ExecutionProfile p = setup.run(m, y, true);
    EXPECT_TRUE(bitwise_equal(y, reference)) << "kill_at " << kill_at;
    EXPECT_LE(p.reverse.count, kill_at + 1);  // only the rest of the reverse sweep ran
    EXPECT_FALSE(std::filesystem::exists(setup.journal()));  // a finished run leaves none
  }
}

TEST(Resume, CompressedDiskLevelResumesToTheSameGradient) {
  RunSetup setup("resume-compressed");
  setup.compressed = true;
  Burgers::Adjoint reference;
  burgers_gradient_store_all(setup.model, setup.u0, kSteps, reference);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Interruptible m{&setup.model, 77};
    Burgers::Adjoint y;
    setup.run(m, y, false);
    _exit(4);
  }
  ASSERT_TRUE(WIFSIGNALED(wait_for(child)));
  Interruptible m{&setup.model};
  Burgers::Adjoint y;
  setup.run(m, y, true);
  EXPECT_TRUE(bitwise_equal(y, reference));
}

TEST(Resume, KilledBySignalFromOutsideResumesToTheSameGradient) {
  RunSetup setup("resume-signal");
  Burgers::Adjoint reference;
  burgers_gradient_store_all(setup.model, setup.u0, kSteps, reference);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Interruptible m{&setup.model, -1, 2000};  // 2 ms per adjoint step: 0.4 s of reverse sweep
    Burgers::Adjoint y;
    try {
      setup.run(m, y, false);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  // The journal appears at the end of the forward sweep; kill during the reverse sweep.
  for (int i = 0; i < 5000 && !std::filesystem::exists(setup.journal()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(child, SIGKILL);
  const int status = wait_for(child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before the kill";

  Interruptible m{&setup.model};
  Burgers::Adjoint y;
  setup.run(m, y, true);
  EXPECT_TRUE(bitwise_equal(y, reference));
}

TEST(Resume, WithoutAJournalIsAClearError) {
  RunSetup setup("resume-none");
  Interruptible m{&setup.model};
  Burgers::Adjoint y;
  EXPECT_THROW(setup.run(m, y, true), ResumeError);
}

TEST(Resume, AnotherScheduleIsRefused) {
  RunSetup setup("resume-other");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Interruptible m{&setup.model, 100};
    Burgers::Adjoint y;
    setup.run(m, y, false);
    _exit(4);
  }
  ASSERT_TRUE(WIFSIGNALED(wait_for(child)));
  RevolveStream other(kSteps, kSlots + 1);
  auto ram = testing::ram_slots(setup.model, kSlots + 1);
  auto disk = make_file_storage(setup.disk_path(), 16 << 20, {true, true});
  ExecutorOptions options;
  options.journal = setup.journal();
  options.resume = true;
  Interruptible m{&setup.model};
  Burgers::Adjoint y;
  EXPECT_THROW(run_adjoint(m, setup.u0, y, other, kSteps, {ram.get(), disk.get()}, options),
               ResumeError);
}

TEST(Checkpoints, CorruptedFileIsAChecksumErrorNotAWrongGradient) {
  RunSetup setup("corrupt");
  RevolveStream schedule(kSteps, kSlots, 1);
  auto ram = testing::ram_slots(setup.model, 1);
  auto disk = make_file_storage(setup.disk_path(), 16 << 20);
  ExecutorOptions options;
  options.on_action = [&](const Action& a, std::int64_t) {
    if (a.kind != ActionKind::kEndForward) return;
    // Flip one byte in the middle of every checkpoint file.
    for (const auto& entry : std::filesystem::directory_iterator(setup.disk_path())) {
      std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
      file.seekg(100);
      const char c = static_cast<char>(file.get());
      file.seekp(100);
      file.put(static_cast<char>(c ^ 0x10));
    }
  };
  Interruptible m{&setup.model};
  Burgers::Adjoint y;
  try {
    run_adjoint(m, setup.u0, y, schedule, kSteps, {ram.get(), disk.get()}, options);
    FAIL() << "no checksum error";
  } catch (const ChecksumError& e) {
    EXPECT_NE(std::string(e.what()).find("checksum error"), std::string::npos) << e.what();
  }
}

// A real full disk: a 256 KiB tmpfs (needs root; skipped otherwise) and Revolve with 20
// checkpoints of 32 KiB on it. The run stops with a clear error; the checkpoints already
// written stay readable.
TEST(DiskFull, TmpfsRunsOutOfSpaceWithAClearError) {
  testing::TempDir dir("disk-full");
  const auto mount_point = dir.path() / "tmpfs";
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (not root)";
  }
  const Burgers model(4096, 0.001);
  const Burgers::State u0 = model.initial_state();
  const Burgers::State copy = u0;
  std::string message;
  {
    RevolveStream schedule(100, 20, 1);
    auto ram = testing::ram_slots(model, 1);
    auto disk = make_file_storage(mount_point, 1 << 30);  // the bytes budget is not the limit
    Interruptible m{&model};
    Burgers::Adjoint y;
    try {
      run_adjoint(m, u0, y, schedule, 100, {ram.get(), disk.get()});
    } catch (const StorageError& e) {
      message = e.what();
    }
    EXPECT_GT(disk->keys().size(), 0u);
    for (const CheckpointKey& key : disk->keys()) {
      std::vector<std::byte> back(disk->size(key));
      EXPECT_NO_THROW(disk->read(key, back.data(), back.size()));
    }
  }
  ::umount(mount_point.c_str());
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_NE(message.find("disk level 'disk': writing state x_"), std::string::npos) << message;
  EXPECT_EQ(u0, copy);  // the caller's initial state is never touched
}

// The same through a file size limit, which needs no privileges (SIGXFSZ ignored, so the write
// fails with EFBIG), in a child process.
TEST(DiskFull, FileSizeLimitIsAClearError) {
  testing::TempDir dir("disk-limit");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{16 * 1024, 16 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    const Burgers model(4096, 0.001);  // 32 KiB checkpoints
    RevolveStream schedule(50, 5, 1);
    auto ram = testing::ram_slots(model, 1);
    auto disk = make_file_storage(dir.path(), 1 << 30);
    Interruptible m{&model};
    Burgers::Adjoint y;
    try {
      run_adjoint(m, model.initial_state(), y, schedule, 50, {ram.get(), disk.get()});
    } catch (const StorageError& e) {
      _exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 1);
    }
    _exit(2);
  }
  const int status = wait_for(child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace memsched
