// Per-site profile of the checkpoints of a joint/split assignment, in the shape of Tapenade's
// profiler (time saved and change of peak if a site's calls were split), computed with the
// bottom-up merge over the adjoint's events, and a recommendation under a byte budget.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// What making every joint call of one static site split would change.
struct SiteProfileRow {
  std::string site;
  std::int64_t calls = 0;        ///< dynamic calls of the site in the tree
  std::int64_t joint_calls = 0;  ///< of which joint (and not pinned joint): the ones flipped
  double time_saved = 0;         ///< sum over them of P + omega + rho (exact, time is additive)
  Bytes peak_change = 0;         ///< new peak - old peak (negative: the flip also saves memory)
  Bytes snapshot_bytes = 0;      ///< largest snapshot of one of its joint calls
};

/// The profile of an assignment: its time and peak and one row per site with a joint call,
/// sorted as Tapenade's report: memory gains (peak_change < 0), then neutral (= 0), then
/// costs (> 0) by decreasing time_saved / peak_change; gains and neutral by decreasing
/// time_saved; ties by site name.
struct SiteProfile {
  double time = 0;
  Bytes peak = 0;
  std::vector<SiteProfileRow> rows;
};

/// Profiles `joint` the way a profiler of the running adjoint does (Hascoët, Bouchot,
/// Gaikwad, Narayanan, Hückelheim, *Profiling checkpointing schedules in adjoint ST-AD*,
/// arXiv:2405.15590, 2024): one pass over the events of the adjoint (simulate_calltree), a
/// level per joint call's reversal, each level's records of (time saved, change of turn size,
/// change of peak) per site merged into the enclosing level when the reversal ends.
///
/// With `rebase_all` (the default) every record of the enclosing level is re-based to its new
/// peak at each merge, which makes each row exact: it equals re-evaluating the assignment with
/// that site's calls split (the tests check it). Without it, only the records the finished
/// level mentions are re-based, as in the profiler runtime Tapenade ships; rows can then be
/// wrong in both directions when a later sibling raises the level's peak (docs/calltree.md).
/// Throws std::invalid_argument (check_joint_set). O(events x sites).
SiteProfile profile_sites(const CallTree& tree, const JointSet& joint, bool rebase_all = true);

/// `joint` with every joint call of `site` made split (calls pinned joint stay joint).
JointSet split_site(const CallTree& tree, const JointSet& joint, const std::string& site);

/// The most sites^2 x calls recommend_splits accepts (2 x 10^9 call evaluations).
inline constexpr double kMaxRecommendWork = 2e9;

/// A recommendation: which sites to make split, and the exact cost after.
struct SiteRecommendation {
  std::vector<std::string> split_sites;  ///< in the order they were chosen
  JointSet joint;                        ///< the resulting assignment
  double time = 0;                       ///< its exact time (evaluate_calltree)
  Bytes peak = 0;                        ///< its exact peak
};

/// The profiler's heuristic under a budget, starting from `joint` (typically all_joint): take
/// the rows of profile_sites in report order (memory gains and neutral sites first, then costs
/// by time saved per byte) and split the first site whose flip, re-evaluated exactly, keeps
/// the peak within budget_bytes; re-profile and repeat until no site can be split. Flips
/// interact (peaks combine by max), hence the re-profiling. If `joint` itself is over the
/// budget only flips that lower the peak are taken. Throws std::invalid_argument for a
/// negative budget, and std::length_error up front when sites^2 x calls passes
/// kMaxRecommendWork. O(rounds x sites x n), rounds <= sites.
SiteRecommendation recommend_splits(const CallTree& tree, const JointSet& joint,
                                    Bytes budget_bytes);

}  // namespace memsched
