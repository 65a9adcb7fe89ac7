// The per-site checkpoint profile: the bottom-up merge of levels over the adjoint's events
// (Hascoët et al., arXiv:2405.15590, 2024, as shipped in Tapenade's profiler runtime), with
// the re-basing of every record that makes it exact, and the greedy recommendation.
#include "memsched/calltree/site_profile.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "memsched/calltree/evaluate.hpp"

namespace memsched {

namespace {

// One site's estimate at one level: time saved, change of the level's turn size, change of
// its peak, if every joint call of the site below this level were split.
struct Record {
  double time = 0;
  Bytes turn = 0;
  Bytes peak = 0;
};

// The reversal of one joint call (or of the root): its snapshot top, turn and peak (absolute
// stack heights) and its records.
struct Level {
  CallIndex call;
  Bytes snapshot_top;  // Snp: the stack just after this call's snapshot was pushed
  Bytes turn = 0;      // Tn: the stack at its turn
  Bytes peak = 0;      // Pk: the highest stack during its reversal
  std::map<std::string, Record> records;
};

bool report_order(const SiteProfileRow& a, const SiteProfileRow& b) {
  auto group = [](const SiteProfileRow& r) {
    return r.peak_change < 0 ? 0 : (r.peak_change == 0 ? 1 : 2);
  };
  if (group(a) != group(b)) return group(a) < group(b);
  if (group(a) == 2) {
    const double ra = a.time_saved / static_cast<double>(a.peak_change);
    const double rb = b.time_saved / static_cast<double>(b.peak_change);
    if (ra != rb) return ra > rb;
  } else if (a.time_saved != b.time_saved) {
    return a.time_saved > b.time_saved;
  }
  return a.site < b.site;
}

// The per-level merge follows one dynamic call per reversal; a loop node's iterations and
// their Revolve replay are outside that model, so trees with loops are refused.
void refuse_loops(const CallTree& tree, const char* function) {
  for (CallIndex v = 0; v < tree.num_calls(); ++v) {
    if (tree.is_loop(v)) {
      throw std::invalid_argument(std::string(function) + ": loop node '" + tree.call(v).name +
                                  "': the per-site profile does not handle loop nodes; use "
                                  "the planners (calltree_front, plan_calltree)");
    }
  }
}

}  // namespace

SiteProfile profile_sites(const CallTree& tree, const JointSet& joint, bool rebase_all) {
  check_joint_set(tree, joint, "profile_sites");
  refuse_loops(tree, "profile_sites");
  const CallTreeSimulation run =
      simulate_calltree(tree, joint, true, std::numeric_limits<std::int64_t>::max(), false);
  std::vector<Bytes> snapshot_top(static_cast<std::size_t>(tree.num_calls()), 0);
  std::vector<Level> levels{{CallTree::root(), 0, 0, 0, {}}};
  auto flippable = [&](CallIndex c) {
    return joint[static_cast<std::size_t>(c)] && tree.may_be_split(c);
  };
  for (const CallEvent& e : run.events) {
    Level& top = levels.back();
    top.peak = std::max(top.peak, e.stack);
    switch (e.kind) {
      case CallEventKind::kPushSnapshot:  // SNPWrite ... beginAdvance
        snapshot_top[static_cast<std::size_t>(e.call)] = e.stack;
        break;
      case CallEventKind::kPopSnapshot:  // SNPRead ... beginReverse: a new level
        levels.push_back({e.call, snapshot_top[static_cast<std::size_t>(e.call)], 0, 0, {}});
        levels.back().peak = e.stack;
        break;
      case CallEventKind::kAdjoint:  // the turn of a body
        if (e.call == top.call) top.turn = e.stack;
        break;
      case CallEventKind::kAdjointEnd: {  // endReverse: merge the level into its parent
        if (e.call != top.call || levels.size() < 2) break;
        Level child = std::move(levels.back());
        levels.pop_back();
        Level& parent = levels.back();
        const Bytes old_peak = parent.peak;
        const Bytes new_peak = std::max(old_peak, child.peak);
        const bool own = flippable(child.call);
        const std::string& own_site = tree.site(child.call);
        std::map<std::string, bool> touched;
        auto merge = [&](const std::string& site, const Record& below) {
          Record& r = parent.records[site];
          r.time += below.time;
          Bytes offset = 0;
          if (own && site == own_site) {
            r.time += tree.joint_cost(child.call);
            // Split instead of joint: its tape F stays where its snapshot s was.
            offset = child.turn + below.turn - child.snapshot_top;
          }
          r.turn += offset;
          r.peak = std::max(old_peak + r.peak + offset, child.peak + below.peak) - new_peak;
          touched[site] = true;
        };
        for (const auto& [site, below] : child.records) merge(site, below);
        if (own && child.records.find(own_site) == child.records.end()) merge(own_site, Record{});
        if (rebase_all) {
          // Records the child does not mention: their flip leaves the child's reversal as it
          // is, so only the level's new peak matters (the fix of the stale records).
          for (auto& [site, r] : parent.records) {
            if (touched.count(site) == 0)
              r.peak = std::max(old_peak + r.peak, child.peak) - new_peak;
          }
        }
        parent.peak = new_peak;
        break;
      }
      default:
        break;
    }
  }
  if (levels.size() != 1)
    throw std::logic_error("profile_sites: internal error: unbalanced levels");
  SiteProfile profile;
  profile.time = run.cost.time;
  profile.peak = run.cost.peak;
  std::map<std::string, SiteProfileRow> rows;
  for (CallIndex v = 1; v < tree.num_calls(); ++v) {
    SiteProfileRow& row = rows[tree.site(v)];
    row.site = tree.site(v);
    ++row.calls;
    if (flippable(v)) {
      ++row.joint_calls;
      row.snapshot_bytes = std::max(row.snapshot_bytes, tree.call(v).snapshot_bytes);
    }
  }
  for (auto& [site, row] : rows) {
    if (row.joint_calls == 0) continue;
    const auto it = levels[0].records.find(site);
    if (it != levels[0].records.end()) {
      row.time_saved = it->second.time;
      row.peak_change = it->second.peak;
    }
    profile.rows.push_back(row);
  }
  std::sort(profile.rows.begin(), profile.rows.end(), report_order);
  return profile;
}

JointSet split_site(const CallTree& tree, const JointSet& joint, const std::string& site) {
  check_joint_set(tree, joint, "split_site");
  JointSet out = joint;
  for (CallIndex v = 1; v < tree.num_calls(); ++v) {
    if (tree.may_be_split(v) && tree.site(v) == site) out[static_cast<std::size_t>(v)] = false;
  }
  return out;
}

SiteRecommendation recommend_splits(const CallTree& tree, const JointSet& joint,
                                    Bytes budget_bytes) {
  if (budget_bytes < 0) {
    throw std::invalid_argument("recommend_splits: budget " + std::to_string(budget_bytes) +
                                " is negative");
  }
  refuse_loops(tree, "recommend_splits");
  // Each round profiles once and re-evaluates at most every site: O(sites x n) per round,
  // at most `sites` rounds. Refuse up front what would not finish in reasonable time.
  std::map<std::string, bool> sites;
  for (CallIndex v = 1; v < tree.num_calls(); ++v) sites[tree.site(v)] = true;
  const double estimate = static_cast<double>(sites.size()) * static_cast<double>(sites.size()) *
                          static_cast<double>(tree.num_calls());
  if (estimate > kMaxRecommendWork) {
    throw std::length_error("recommend_splits: " + std::to_string(sites.size()) + " sites and " +
                            std::to_string(tree.num_calls()) + " calls need about " +
                            std::to_string(static_cast<std::int64_t>(estimate)) +
                            " call evaluations, over the limit of " +
                            std::to_string(static_cast<std::int64_t>(kMaxRecommendWork)));
  }
  SiteRecommendation out;
  out.joint = joint;
  CallTreeCost cost = evaluate_calltree(tree, joint);
  for (;;) {
    const SiteProfile profile = profile_sites(tree, out.joint);
    bool flipped = false;
    for (const SiteProfileRow& row : profile.rows) {
      if (row.time_saved <= 0 && row.peak_change >= 0) continue;
      const JointSet trial = split_site(tree, out.joint, row.site);
      const CallTreeCost after = evaluate_calltree(tree, trial);
      const bool fits = after.peak <= budget_bytes || after.peak < cost.peak;
      if (!fits || (after.time >= cost.time && after.peak >= cost.peak)) continue;
      out.joint = trial;
      cost = after;
      out.split_sites.push_back(row.site);
      flipped = true;
      break;
    }
    if (!flipped) break;
  }
  out.time = cost.time;
  out.peak = cost.peak;
  return out;
}

}  // namespace memsched
