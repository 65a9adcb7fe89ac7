// Tests of progress reports: the long planner tables report to the sink installed on the
// thread, scopes nest, and a sink that throws cancels planning without leaving a partial
// result behind.
#include "memsched/progress.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memsched/chain/simulate.hpp"
#include "memsched/hetero/persistent.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/mixed.hpp"

namespace memsched {
namespace {

struct Recorder final : ProgressSink {
  std::vector<std::string> tasks;
  std::vector<double> fractions;
  void report(const char* task, std::int64_t done, std::int64_t total) override {
    tasks.emplace_back(task);
    fractions.push_back(static_cast<double>(done) / static_cast<double>(total));
  }
  bool well_formed(const std::string& task) const {
    if (fractions.empty()) return false;
    for (std::size_t i = 0; i < fractions.size(); ++i) {
      if (tasks[i] != task || fractions[i] < 0 || fractions[i] > 1) return false;
      if (i > 0 && fractions[i] < fractions[i - 1]) return false;
    }
    return true;
  }
};

struct Cancelled {};
struct Canceller final : ProgressSink {
  void report(const char*, std::int64_t, std::int64_t) override { throw Cancelled{}; }
};

const Platform kTwoLevels({StorageLevel{"ram", 3, 1, 1}, StorageLevel{"disk", 4, 3, 2}});

TEST(Progress, PlannerTablesReport) {
  {
    Recorder recorder;
    const ProgressScope scope(recorder);
    ASSERT_TRUE(hrevolve_cost(Chain(300), kTwoLevels));
    EXPECT_TRUE(recorder.well_formed("hrevolve table"));
  }
  {
    Recorder recorder;
    const ProgressScope scope(recorder);
    ASSERT_TRUE(disk_revolve_cost(Chain(3000), Platform::ram_disk(3, 3000, 2.0, 2.0)));
    EXPECT_TRUE(recorder.well_formed("disk-revolve table"));
  }
  {
    Recorder recorder;
    const ProgressScope scope(recorder);
    ASSERT_TRUE(mixed_schedule(100, 5));
    EXPECT_TRUE(recorder.well_formed("mixed table"));
  }
  {
    Recorder recorder;
    const ProgressScope scope(recorder);
    const HeteroChain chain(std::vector<HeteroStage>(20, HeteroStage{1, 1, 4, 8, 1, 1}), {1, 0, 0});
    ASSERT_TRUE(plan_persistent(chain, 100));
    EXPECT_TRUE(recorder.well_formed("heterogeneous table"));
  }
}

TEST(Progress, ScopesNestAndNothingReportsWithoutOne) {
  Recorder outer, inner;
  {
    const ProgressScope a(outer);
    {
      const ProgressScope b(inner);
      report_progress("x", 1, 2);
    }
    report_progress("y", 1, 2);
  }
  report_progress("z", 1, 2);  // no sink: ignored
  EXPECT_EQ(inner.tasks, std::vector<std::string>{"x"});
  EXPECT_EQ(outer.tasks, std::vector<std::string>{"y"});
}

TEST(Progress, ThrowingSinkCancelsAndLeavesNoPartialTable) {
  const Chain chain(120);
  {
    Canceller canceller;
    const ProgressScope scope(canceller);
    EXPECT_THROW(hrevolve_cost(chain, kTwoLevels), Cancelled);
  }
  // The cancelled table was not cached: the next call computes the full one.
  const std::optional<double> cost = hrevolve_cost(chain, kTwoLevels);
  ASSERT_TRUE(cost);
  std::optional<HRevolveStream> stream = hrevolve(chain, kTwoLevels);
  ASSERT_TRUE(stream);
  EXPECT_DOUBLE_EQ(simulate(*stream, chain, kTwoLevels).cost, *cost);
}

}  // namespace
}  // namespace memsched
