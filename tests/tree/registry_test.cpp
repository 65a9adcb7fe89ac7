// Tests of the parallel tree schedulers' registry: every entry schedules legally, the bounded
// ones within their bound, and each entry calls the function it names.
#include "memsched/tree/registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/list_scheduling.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"

namespace memsched {
namespace {

bool same_runs(const ParallelSchedule& a, const ParallelSchedule& b) {
  if (a.runs.size() != b.runs.size() || a.start_order != b.start_order) return false;
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    if (a.runs[i].start != b.runs[i].start || a.runs[i].processor != b.runs[i].processor) {
      return false;
    }
  }
  return true;
}

TEST(TreeSchedulers, NamesAreUniqueAndFound) {
  std::set<std::string> names;
  for (const TreeSchedulerInfo& s : tree_schedulers()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_EQ(&find_tree_scheduler(s.name), &s);
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_EQ(s.memory_bounded, static_cast<bool>(s.default_memory)) << s.name;
  }
  EXPECT_EQ(tree_schedulers().front().name, "memory-bounded");  // the CLI's default
  try {
    find_tree_scheduler("fastest");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("inner-first"), std::string::npos) << e.what();
  }
}

TEST(TreeSchedulers, LegalWithinTheBoundAndAsTheNamedFunction) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    RandomTreeOptions options;
    options.max_output = 20;
    options.max_exec = seed % 2 == 0 ? 10 : 0;
    const Tree tree = random_tree(static_cast<NodeId>(1 + seed * 2), seed, options);
    for (std::int64_t p : {1, 3}) {
      for (const TreeSchedulerInfo& s : tree_schedulers()) {
        TreeSchedulerOptions defaults;
        const std::optional<ParallelSchedule> schedule = s.schedule(tree, p, defaults);
        ASSERT_TRUE(schedule.has_value()) << s.name << " seed " << seed;
        const ParallelReport report =
            simulate_parallel(tree, schedule->runs, p, schedule->start_order);
        EXPECT_EQ(report.peak, schedule->peak) << s.name;
        if (s.memory_bounded) {
          EXPECT_LE(report.peak, s.default_memory(tree, defaults)) << s.name;
        }
      }
      // The entries call the functions they name.
      EXPECT_TRUE(same_runs(*find_tree_scheduler("inner-first").schedule(tree, p, {}),
                            par_inner_first(tree, p)));
      EXPECT_TRUE(same_runs(*find_tree_scheduler("all-to-all").schedule(tree, p, {}),
                            all_to_all_mapping(tree, p)));
      const Memory optimum = liu_optimal_traversal(tree).peak;
      EXPECT_TRUE(same_runs(*find_tree_scheduler("memory-aware").schedule(tree, p, {}),
                            *memory_aware_mapping(tree, p, optimum)));
      TreeSchedulerOptions postorder;
      postorder.activation_order = best_postorder(tree).order;
      postorder.memory = 2 * sequential_peak(tree, *postorder.activation_order);
      MemoryBoundedOptions bounded;
      bounded.activation_order = *postorder.activation_order;
      EXPECT_TRUE(same_runs(*find_tree_scheduler("memory-bounded").schedule(tree, p, postorder),
                            *memory_bounded_schedule(tree, p, *postorder.memory, bounded)));
    }
  }
}

TEST(TreeSchedulers, BelowTheBoundThereMayBeNoSchedule) {
  const Tree tree = random_tree(30, 7);
  TreeSchedulerOptions tight;
  tight.memory = 0;
  EXPECT_FALSE(find_tree_scheduler("memory-bounded").schedule(tree, 2, tight).has_value());
}

}  // namespace
}  // namespace memsched
