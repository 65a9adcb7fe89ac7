// Tests of the per-site profile: each row against re-evaluating the assignment with that
// site split, the worked example's rows, and the recommendation under a budget.
#include "memsched/calltree/site_profile.hpp"

#include <gtest/gtest.h>

#include <random>

#include "examples.hpp"
#include "memsched/calltree/evaluate.hpp"

namespace memsched {
namespace {

// A random tree whose calls share `sites` static sites, and a random assignment, ~70 % joint.
std::pair<CallTree, JointSet> shared_sites(std::mt19937_64& rng, CallIndex n, int sites) {
  const CallTree shape = test::random_calltree(rng, n, 10);
  std::vector<CallNode> calls;
  for (CallIndex v = 0; v < n; ++v) {
    calls.push_back(shape.call(v));
    const auto s = std::uniform_int_distribution<int>(0, sites - 1)(rng);
    if (v > 0) calls.back().site = "s" + std::to_string(s);
  }
  CallTree tree(calls);
  JointSet joint(static_cast<std::size_t>(n), false);
  for (CallIndex v = 1; v < n; ++v) {
    const bool want = std::uniform_int_distribution<int>(0, 9)(rng) < 7;
    joint[static_cast<std::size_t>(v)] = tree.may_be_joint(v) && (want || !tree.may_be_split(v));
  }
  return {std::move(tree), std::move(joint)};
}

TEST(CallTreeSiteProfile, WorkedExampleRows) {
  const CallTree tree = test::worked_example();
  const SiteProfile profile = profile_sites(tree, all_joint(tree));
  EXPECT_EQ(profile.time, 41);
  EXPECT_EQ(profile.peak, 70);
  ASSERT_EQ(profile.rows.size(), 3u);
  // Neutral first by time saved: B (3), A1 (2); then the cost A (6 for +16 bytes).
  EXPECT_EQ(profile.rows[0].site, "B");
  EXPECT_EQ(profile.rows[0].time_saved, 3);
  EXPECT_EQ(profile.rows[0].peak_change, 0);
  EXPECT_EQ(profile.rows[1].site, "A1");
  EXPECT_EQ(profile.rows[1].time_saved, 2);
  EXPECT_EQ(profile.rows[1].peak_change, 0);
  EXPECT_EQ(profile.rows[2].site, "A");
  EXPECT_EQ(profile.rows[2].time_saved, 6);
  EXPECT_EQ(profile.rows[2].peak_change, 16);
  EXPECT_EQ(profile.rows[2].snapshot_bytes, 8);
  // Following the profile under 70..85 bytes reaches the optimum (36, 70).
  const SiteRecommendation r = recommend_splits(tree, all_joint(tree), 80);
  EXPECT_EQ(r.time, 36);
  EXPECT_EQ(r.peak, 70);
  EXPECT_EQ(joint_calls(r.joint), std::vector<CallIndex>{1});
}

// With every record re-based at each merge, every row is exact; the merge as Tapenade's
// runtime codes it is wrong on some rows.
TEST(CallTreeSiteProfile, RowsEqualSingleFlipReruns) {
  std::mt19937_64 rng(604);
  std::int64_t rows = 0;
  std::int64_t wrong_as_coded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const auto [tree, joint] = shared_sites(rng, 3 + trial % 10, 1 + trial % 5);
    const CallTreeCost base = evaluate_calltree(tree, joint);
    const SiteProfile profile = profile_sites(tree, joint);
    const SiteProfile as_coded = profile_sites(tree, joint, false);
    ASSERT_EQ(profile.peak, base.peak);
    ASSERT_EQ(profile.time, base.time);
    ASSERT_EQ(as_coded.rows.size(), profile.rows.size());
    for (const SiteProfileRow& row : profile.rows) {
      const CallTreeCost flipped = evaluate_calltree(tree, split_site(tree, joint, row.site));
      ASSERT_EQ(row.time_saved, base.time - flipped.time) << "trial " << trial << " " << row.site;
      ASSERT_EQ(row.peak_change, flipped.peak - base.peak) << "trial " << trial << " " << row.site;
      ++rows;
    }
    for (const SiteProfileRow& row : as_coded.rows) {
      const CallTreeCost flipped = evaluate_calltree(tree, split_site(tree, joint, row.site));
      ASSERT_EQ(row.time_saved, base.time - flipped.time);
      if (row.peak_change != flipped.peak - base.peak) ++wrong_as_coded;
    }
  }
  EXPECT_GT(rows, 5000);
  EXPECT_GT(wrong_as_coded, 0);
}

TEST(CallTreeSiteProfile, RecommendationFitsAndNeverSlower) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const auto [tree, joint] = shared_sites(rng, 4 + trial % 12, 2 + trial % 4);
    const CallTreeCost base = evaluate_calltree(tree, all_joint(tree));
    const Bytes budget = base.peak + static_cast<Bytes>(trial % 40);
    const SiteRecommendation r = recommend_splits(tree, all_joint(tree), budget);
    const CallTreeCost check = evaluate_calltree(tree, r.joint);
    EXPECT_EQ(check.time, r.time);
    EXPECT_EQ(check.peak, r.peak);
    EXPECT_LE(r.peak, budget);
    EXPECT_LE(r.time, base.time);
  }
  EXPECT_THROW(recommend_splits(test::worked_example(), all_joint(test::worked_example()), -1),
               std::invalid_argument);
}

// A deep chain, all joint: plain runs are not walked, so profiling stays linear.
TEST(CallTreeSiteProfile, DeepChainIsLinear) {
  std::vector<CallNode> calls(50000);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    calls[i].name = "f" + std::to_string(i);
    calls[i].site = i % 2 == 0 ? "even" : "odd";
    calls[i].parent = static_cast<CallIndex>(i) - 1;
    calls[i].time = 1;
    calls[i].tape_bytes = 2;
    calls[i].snapshot_bytes = 1;
  }
  const CallTree tree(calls);
  const SiteProfile profile = profile_sites(tree, all_joint(tree));
  EXPECT_EQ(profile.peak, evaluate_calltree(tree, all_joint(tree)).peak);
  ASSERT_EQ(profile.rows.size(), 2u);
  for (const SiteProfileRow& row : profile.rows) {
    const CallTreeCost flipped =
        evaluate_calltree(tree, split_site(tree, all_joint(tree), row.site));
    EXPECT_EQ(row.peak_change, flipped.peak - profile.peak);
  }
}

TEST(CallTreeSiteProfile, RecommendationRefusesHugeInputsUpFront) {
  std::vector<CallNode> calls(50000);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    calls[i].name = "f" + std::to_string(i);  // every call its own site
    calls[i].parent = i == 0 ? -1 : 0;
  }
  const CallTree tree(calls);
  EXPECT_THROW(recommend_splits(tree, all_joint(tree), 0), std::length_error);
}

}  // namespace
}  // namespace memsched
