// The Pareto tree dynamic programme for joint/split assignments (docs/calltree.md,
// "Planning"), exact or thinned to a byte grid, and the planners built on it.
#include "memsched/calltree/plan.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "memsched/calltree/evaluate.hpp"
#include "memsched/plan/binomial.hpp"

namespace memsched {

namespace {

// A partial assignment of one call's subtree, after some of its calls: extra time so far
// (over store-all), bytes the call has pushed so far (pre_j, then F), and the highest peak
// reached so far above the call's base (then Q). `trace` names the choices (Trace below).
struct State {
  double dt;
  Bytes pre;
  Bytes q;
  std::int64_t trace;
};

// The choices behind a state as a DAG: the union of `prev`'s and `child`'s choices, plus
// `joint` made joint (-1: none). Traces are shared, so one merge costs O(1) memory per state.
// With snapshots > 0 the node instead records that loop `joint` got that many snapshots.
struct Trace {
  std::int64_t prev;
  std::int64_t child;
  CallIndex joint;
  std::int64_t snapshots;
};

// A state before its trace is created: only survivors of pruning get one.
struct Candidate {
  double dt;
  Bytes pre;
  Bytes q;
  std::int64_t prev;
  std::int64_t child;
  CallIndex joint;
  std::int64_t snapshots;  // as in Trace
};

// The choices of one assignment, read back from its trace.
struct Choice {
  std::vector<CallIndex> joint;
  std::vector<LoopChoice> snapshots;
};

struct WorkLimit {
  std::int64_t needed;
  CallIndex call;
  bool slots;  // passed while choosing a loop's snapshot count, not in a merge
};

bool lexicographic(const Candidate& a, const Candidate& b) {
  if (a.dt != b.dt) return a.dt < b.dt;
  if (a.pre != b.pre) return a.pre < b.pre;
  return a.q < b.q;
}

// Keeps the candidates no other candidate dominates in (dt, pre, q), by increasing dt:
// a sweep in dt order with a staircase of (pre, q) seen so far. O(m log m).
void pareto(std::vector<Candidate>& states) {
  std::stable_sort(states.begin(), states.end(), lexicographic);
  std::map<Bytes, Bytes> stair;  // pre -> q, q strictly decreasing as pre grows
  std::size_t kept = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    const Candidate s = states[i];
    auto it = stair.upper_bound(s.pre);
    if (it != stair.begin() && std::prev(it)->second <= s.q) continue;  // dominated
    // Remove the staircase points s now dominates in (pre, q), then insert s.
    while (it != stair.end() && it->second >= s.q) it = stair.erase(it);
    stair[s.pre] = s.q;
    states[kept++] = s;
  }
  states.resize(kept);
}

// Thins to the fastest state per (pre, q) cell of `cell` bytes; with `floor`, the values
// themselves are rounded down to the cell (the relaxation that gives lower bounds).
void thin(std::vector<Candidate>& states, Bytes cell, bool floor) {
  if (cell <= 1) return;
  if (floor) {
    for (Candidate& s : states) {
      s.pre -= s.pre % cell;
      s.q -= s.q % cell;
    }
    return;  // equal cells now have equal values: pareto keeps the fastest
  }
  std::stable_sort(states.begin(), states.end(), [cell](const Candidate& a, const Candidate& b) {
    if (a.pre / cell != b.pre / cell) return a.pre / cell < b.pre / cell;
    if (a.q / cell != b.q / cell) return a.q / cell < b.q / cell;
    return a.dt < b.dt;
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (kept > 0 && states[kept - 1].pre / cell == states[i].pre / cell &&
        states[kept - 1].q / cell == states[i].q / cell) {
      continue;
    }
    states[kept++] = states[i];
  }
  states.resize(kept);
}

Bytes cell_for(Bytes range, std::int64_t cells) {
  return std::max<Bytes>(1, range / cells + (range % cells != 0 ? 1 : 0));
}

class Programme {
 public:
  // grid_cells = 0: exact. Otherwise a set over 8 x grid_cells states is thinned on a grid of
  // (its largest value / grid_cells)-byte cells, doubled until it fits.
  Programme(const CallTree& tree, bool use_time, Bytes budget, std::int64_t grid_cells, bool floor,
            std::int64_t max_work)
      : tree_(tree),
        use_time_(use_time),
        budget_(budget),
        grid_(grid_cells),
        floor_(floor),
        max_work_(max_work) {}

  // The root's final states (dt, F, Q), Pareto-pruned; empty if nothing fits the budget.
  // Throws WorkLimit.
  std::vector<State> run() {
    const CallIndex n = tree_.num_calls();
    sets_.assign(static_cast<std::size_t>(n), {});
    compute_room();
    for (CallIndex v = n - 1; v >= 0; --v) {
      if (!solve(v)) return {};
    }
    return std::move(sets_[0]);
  }

  std::int64_t work() const noexcept { return work_; }

  Choice joint_of(std::int64_t trace) const {
    Choice choice;
    std::vector<std::int64_t> todo{trace};
    while (!todo.empty()) {
      const std::int64_t t = todo.back();
      todo.pop_back();
      if (t < 0) continue;
      const Trace& e = traces_[static_cast<std::size_t>(t)];
      if (e.snapshots > 0) {
        choice.snapshots.push_back({e.joint, e.snapshots});
      } else if (e.joint >= 0) {
        choice.joint.push_back(e.joint);
      }
      todo.push_back(e.prev);
      todo.push_back(e.child);
    }
    std::sort(choice.joint.begin(), choice.joint.end());
    std::sort(choice.snapshots.begin(), choice.snapshots.end(),
              [](const LoopChoice& a, const LoopChoice& b) { return a.call < b.call; });
    return choice;
  }

 private:
  // room_[v]: the budget left for v's own peak Q(v) above its base, given the least its
  // ancestors must have pushed below it whatever the choices: their own tape before the call
  // on the path, plus a lower bound of each earlier sibling's contribution x (the smaller of
  // its snapshot and a lower bound of its turn F). Any state of v above room_[v] cannot fit.
  void compute_room() {
    const CallIndex n = tree_.num_calls();
    constexpr Bytes kNone = kMaxCallTreeBytes;
    std::vector<Bytes> least_x(static_cast<std::size_t>(n), 0);
    for (CallIndex v = n - 1; v >= 0; --v) {
      Bytes turn = slots(v) + tree_.call(v).tape_bytes;
      for (CallIndex j = 0; j < tree_.num_children(v); ++j) {
        turn = std::min(kNone, turn + least_x[static_cast<std::size_t>(tree_.child(v, j))]);
      }
      const Bytes joint = tree_.may_be_joint(v) ? tree_.call(v).snapshot_bytes : kNone;
      const Bytes split = tree_.may_be_split(v) ? turn : kNone;
      least_x[static_cast<std::size_t>(v)] = std::min(joint, split);
    }
    std::vector<Bytes> base(static_cast<std::size_t>(n), 0);
    room_.assign(static_cast<std::size_t>(n), budget_);
    for (CallIndex v = 0; v < n; ++v) {
      Bytes before = 0;
      for (CallIndex j = 0; j < tree_.num_children(v); ++j) {
        const CallIndex c = tree_.child(v, j);
        base[static_cast<std::size_t>(c)] = std::min(
            kNone, base[static_cast<std::size_t>(v)] + slots(v) + tree_.tape_before(v, j) + before);
        before = std::min(kNone, before + least_x[static_cast<std::size_t>(c)]);
      }
      room_[static_cast<std::size_t>(v)] = budget_ - base[static_cast<std::size_t>(v)];
    }
  }

  // The least bytes of a loop node's live iteration snapshots (with its fewest snapshots),
  // under every state of its body; 0 for other calls.
  Bytes slots(CallIndex v) const {
    if (!tree_.is_loop(v)) return 0;
    return std::min(tree_.loop_min_snapshots(v), tree_.iterations(v) - 1) *
           tree_.call(v).snapshot_bytes;
  }

  // What finishing call v may add: per snapshot count of a loop (the given one first, then
  // the fewer ones of its range that change anything, i.e. below N - 1), the extra time of
  // one call of v (Revolve's additional advances times the body's plain time) and the slot
  // bytes under the body. One option with snapshots 0 for other calls.
  struct Option {
    std::int64_t snapshots;
    double dt;
    Bytes under;
  };
  std::int64_t option_count(CallIndex v) const {
    if (!tree_.loop_has_choice(v)) return 1;
    const std::int64_t useful = std::min(tree_.call(v).loop->snapshots, tree_.iterations(v) - 1);
    return 1 + std::max<std::int64_t>(0, useful - tree_.loop_min_snapshots(v));
  }
  std::vector<Option> options(CallIndex v) const {
    if (!tree_.is_loop(v)) return {{0, 0.0, 0}};
    const CallLoop& loop = *tree_.call(v).loop;
    const Bytes s = tree_.call(v).snapshot_bytes;
    std::vector<Option> out{{loop.snapshots, 0.0, tree_.loop_live_snapshots(v) * s}};
    const std::int64_t useful = std::min(loop.snapshots, loop.iterations - 1);
    for (std::int64_t k = tree_.loop_min_snapshots(v); k < useful; ++k) {
      const auto more = revolve_advances(loop.iterations, k) - tree_.loop_advances(v);
      out.push_back({k, use_time_ ? static_cast<double>(more) * tree_.body_time(v) : 0.0, k * s});
    }
    return out;
  }

  void flush(std::vector<Candidate>& out) {
    pareto(out);
    const auto cap = static_cast<std::size_t>(8 * grid_);
    if (grid_ == 0 || out.size() <= cap) return;
    Bytes top = 1;
    for (const Candidate& c : out) top = std::max({top, c.pre, c.q});
    for (Bytes cell = cell_for(top, grid_);; cell = std::min(top, 2 * cell)) {
      thin(out, cell, floor_);
      pareto(out);
      if (out.size() <= cap || cell >= top) break;
    }
  }

  // Computes sets_[v] from its children's sets (which it frees). False if empty. The merges
  // build one run of v's body; a loop node then multiplies the extra time by its iterations
  // and puts its live slots under the bytes (docs/calltree.md, "Loop nodes").
  bool solve(CallIndex v) {
    const Bytes under = slots(v);
    const Bytes room = room_[static_cast<std::size_t>(v)] - under;  // for one body run
    if (room < 0) return false;
    std::vector<State> current{{0.0, tree_.tape_before(v, 0), 0, -1}};
    std::vector<Candidate> next;
    std::vector<State> joint_options;
    const CallIndex k = tree_.num_children(v);
    for (CallIndex j = 0; j < k; ++j) {
      const CallIndex c = tree_.child(v, j);
      std::vector<State> child = std::move(sets_[static_cast<std::size_t>(c)]);
      const Bytes increment = tree_.tape_before(v, j + 1) - tree_.tape_before(v, j);
      // Joint: only (dt, Q) of the child matters, its F is replaced by its snapshot.
      joint_options.clear();
      if (tree_.may_be_joint(c)) {
        std::vector<State> sorted = child;
        std::stable_sort(sorted.begin(), sorted.end(), [](const State& a, const State& b) {
          return a.dt != b.dt ? a.dt < b.dt : a.q < b.q;
        });
        for (const State& s : sorted) {
          if (joint_options.empty() || s.q < joint_options.back().q) joint_options.push_back(s);
        }
      }
      const bool split = tree_.may_be_split(c);
      const auto pairs =
          static_cast<std::int64_t>(current.size()) *
          static_cast<std::int64_t>(joint_options.size() + (split ? child.size() : 0));
      if (pairs > max_work_ - work_) throw WorkLimit{work_ + pairs, c, false};
      work_ += pairs;
      const double joint_time = use_time_ ? tree_.joint_cost(c) : 0.0;
      const Bytes snapshot = tree_.call(c).snapshot_bytes;
      next.clear();
      std::size_t since_flush = 0;
      auto add = [&](const Candidate& cand) {
        if (cand.q > room || cand.pre > room) return;
        next.push_back(cand);
        if (++since_flush >= (std::size_t{1} << 20)) {
          flush(next);
          since_flush = 0;
        }
      };
      for (const State& s : current) {
        for (const State& o : joint_options) {
          add({s.dt + o.dt + joint_time, s.pre + snapshot + increment, std::max(s.q, s.pre + o.q),
               s.trace, o.trace, c, 0});
        }
        if (split) {
          for (const State& o : child) {
            add({s.dt + o.dt, s.pre + o.pre + increment, std::max(s.q, s.pre + o.q), s.trace,
                 o.trace, -1, 0});
          }
        }
      }
      flush(next);
      current.clear();
      for (const Candidate& cand : next) {
        std::int64_t trace = cand.prev;
        if (cand.child >= 0 || cand.joint >= 0) {
          traces_.push_back({cand.prev, cand.child, cand.joint, 0});
          trace = static_cast<std::int64_t>(traces_.size()) - 1;
        }
        current.push_back({cand.dt, cand.pre, cand.q, trace});
      }
      if (current.empty()) return false;
    }
    // Finish: F = pre, Q = max(pre, q); for a loop, plus its slots, and its extra time once
    // per iteration plus the advances its snapshot count adds (a monotone map per option, so
    // the Pareto order is kept); prune again in (dt, F, Q).
    const std::int64_t count = option_count(v);
    if (count > 1) {
      const double pairs = static_cast<double>(current.size()) * static_cast<double>(count);
      if (pairs > static_cast<double>(max_work_ - work_)) {
        const double needed = std::min(pairs + static_cast<double>(work_), 9e18);
        throw WorkLimit{static_cast<std::int64_t>(needed), v, true};
      }
      work_ += static_cast<std::int64_t>(pairs);
    }
    const std::vector<Option> finish = options(v);
    const bool choice = tree_.loop_has_choice(v);
    const Bytes limit = room_[static_cast<std::size_t>(v)];
    next.clear();
    const auto runs = static_cast<double>(tree_.iterations(v));
    for (const State& s : current) {
      const Bytes q = std::max(s.pre, s.q);
      for (const Option& o : finish) {
        if (o.under + q > limit) continue;
        next.push_back({s.dt * runs + o.dt, o.under + s.pre, o.under + q, s.trace, -1,
                        choice ? v : -1, choice ? o.snapshots : 0});
      }
    }
    flush(next);
    std::vector<State>& out = sets_[static_cast<std::size_t>(v)];
    out.clear();
    for (const Candidate& cand : next) {
      std::int64_t trace = cand.prev;
      if (cand.snapshots > 0) {
        traces_.push_back({cand.prev, -1, cand.joint, cand.snapshots});
        trace = static_cast<std::int64_t>(traces_.size()) - 1;
      }
      out.push_back({cand.dt, cand.pre, cand.q, trace});
    }
    return !out.empty();
  }

  const CallTree& tree_;
  bool use_time_;
  Bytes budget_;
  std::int64_t grid_;
  bool floor_;
  std::int64_t max_work_;
  std::int64_t work_ = 0;
  std::vector<std::vector<State>> sets_;
  std::vector<Trace> traces_;
  std::vector<Bytes> room_;
};

void check_options(const CallTreePlanOptions& options, const char* function) {
  if (options.max_work < 1) {
    throw std::invalid_argument(std::string(function) + ": max_work " +
                                std::to_string(options.max_work) + " is not positive");
  }
  if (options.grid_cells < 1 || options.grid_cells > (std::int64_t{1} << 20)) {
    throw std::invalid_argument(std::string(function) + ": grid_cells " +
                                std::to_string(options.grid_cells) + " is not in [1, 2^20]");
  }
}

[[noreturn]] void too_much(const char* function, const CallTree& tree, const WorkLimit& limit,
                           std::int64_t max_work) {
  throw std::length_error(
      std::string(function) +
      (limit.slots ? ": choosing the snapshots of loop '" : ": the merge at call '") +
      tree.call(limit.call).name + "' brings the work to " + std::to_string(limit.needed) +
      " state pairs, over the limit of " + std::to_string(max_work) +
      "; use the grid heuristic or raise max_work");
}

// The root state with the least time (then the least peak).
const State* fastest(const std::vector<State>& root) {
  const State* best = nullptr;
  for (const State& s : root) {
    if (!best || s.dt < best->dt || (s.dt == best->dt && s.q < best->q)) best = &s;
  }
  return best;
}

CallTreePoint point_of(const CallTree& tree, Choice choice) {
  const CallTreeCost cost = choice.snapshots.empty()
                                ? evaluate_calltree(tree, joint_set(tree, choice.joint))
                                : evaluate_calltree(with_loop_snapshots(tree, choice.snapshots),
                                                    joint_set(tree, choice.joint));
  return {cost.time, cost.peak, std::move(choice.joint), std::move(choice.snapshots)};
}

}  // namespace

std::vector<CallTreePoint> calltree_front(const CallTree& tree,
                                          const CallTreePlanOptions& options) {
  check_options(options, "calltree_front");
  Programme programme(tree, true, kMaxCallTreeBytes, 0, false, options.max_work);
  std::vector<State> root;
  try {
    root = programme.run();
  } catch (const WorkLimit& limit) {
    too_much("calltree_front", tree, limit, options.max_work);
  }
  std::stable_sort(root.begin(), root.end(), [](const State& a, const State& b) {
    return a.dt != b.dt ? a.dt < b.dt : a.q < b.q;
  });
  std::vector<CallTreePoint> front;
  Bytes last = std::numeric_limits<Bytes>::max();
  for (const State& s : root) {
    if (s.q >= last) continue;
    last = s.q;
    front.push_back(point_of(tree, programme.joint_of(s.trace)));
  }
  return front;
}

CallTreePeakBounds calltree_min_peak(const CallTree& tree, const CallTreePlanOptions& options) {
  check_options(options, "calltree_min_peak");
  CallTreePeakBounds bounds;
  auto lowest = [](const std::vector<State>& root) {
    const State* best = nullptr;
    for (const State& s : root) {
      if (!best || s.q < best->q) best = &s;
    }
    return best;
  };
  try {
    Programme exact(tree, false, kMaxCallTreeBytes, 0, false, options.max_work);
    const std::vector<State> root = exact.run();
    const State* best = lowest(root);
    Choice choice = exact.joint_of(best->trace);
    bounds.joint = choice.joint;
    bounds.snapshots = choice.snapshots;
    bounds.upper = point_of(tree, std::move(choice)).peak;
    bounds.lower = bounds.upper;
    bounds.exact = true;
    return bounds;
  } catch (const WorkLimit&) {
  }
  try {
    Programme upper(tree, false, kMaxCallTreeBytes, options.grid_cells, false, options.max_work);
    const std::vector<State> root = upper.run();
    Choice choice = upper.joint_of(lowest(root)->trace);
    bounds.joint = choice.joint;
    bounds.snapshots = choice.snapshots;
    bounds.upper = point_of(tree, std::move(choice)).peak;
    Programme lower(tree, false, kMaxCallTreeBytes, options.grid_cells, true, options.max_work);
    bounds.lower = lowest(lower.run())->q;
  } catch (const WorkLimit& limit) {
    too_much("calltree_min_peak", tree, limit, options.max_work);
  }
  bounds.exact = bounds.lower == bounds.upper;
  return bounds;
}

namespace {

void fill_min_peak(const CallTree& tree, const CallTreePlanOptions& options, CallTreePlan& plan) {
  const CallTreePeakBounds bounds = calltree_min_peak(tree, options);
  plan.min_peak = bounds.lower;
  plan.min_peak_upper = bounds.upper;
  plan.min_peak_exact = bounds.exact;
}

void check_budget(Bytes budget, const char* function) {
  if (budget < 0) {
    throw std::invalid_argument(std::string(function) + ": budget " + std::to_string(budget) +
                                " is negative");
  }
}

}  // namespace

CallTreePlan plan_calltree_grid(const CallTree& tree, Bytes budget_bytes,
                                const CallTreePlanOptions& options) {
  check_options(options, "plan_calltree_grid");
  check_budget(budget_bytes, "plan_calltree_grid");
  CallTreePlan plan;
  plan.method = "grid";
  try {
    Programme lower(tree, true, budget_bytes, options.grid_cells, true, options.max_work);
    const std::vector<State> relaxed = lower.run();
    if (relaxed.empty()) {
      // Even the relaxation has nothing within the budget: proven infeasible.
      fill_min_peak(tree, options, plan);
      return plan;
    }
    plan.time_lower_bound = tree.base_time() + fastest(relaxed)->dt;
    Programme upper(tree, true, budget_bytes, options.grid_cells, false, options.max_work);
    const std::vector<State> root = upper.run();
    if (!root.empty()) {
      plan.feasible = true;
      plan.best = point_of(tree, upper.joint_of(fastest(root)->trace));
    } else {
      // The thinned sets lost every feasible state: try the assignment of least peak.
      const CallTreePeakBounds bounds = calltree_min_peak(tree, options);
      if (bounds.upper <= budget_bytes) {
        plan.feasible = true;
        plan.best = point_of(tree, {bounds.joint, bounds.snapshots});
      } else {
        plan.min_peak = bounds.lower;
        plan.min_peak_upper = bounds.upper;
        plan.min_peak_exact = bounds.exact;
      }
    }
  } catch (const WorkLimit& limit) {
    too_much("plan_calltree_grid", tree, limit, options.max_work);
  }
  plan.optimal = plan.feasible && plan.best.time <= plan.time_lower_bound;
  if (plan.optimal) plan.time_lower_bound = plan.best.time;
  return plan;
}

CallTreePlan plan_calltree(const CallTree& tree, Bytes budget_bytes,
                           const CallTreePlanOptions& options) {
  check_options(options, "plan_calltree");
  check_budget(budget_bytes, "plan_calltree");
  CallTreePlan plan;
  plan.method = "exact";
  try {
    Programme programme(tree, true, budget_bytes, 0, false, options.max_work);
    const std::vector<State> root = programme.run();
    if (root.empty()) {
      fill_min_peak(tree, options, plan);  // proven: nothing fits the budget
      return plan;
    }
    plan.feasible = true;
    plan.optimal = true;
    plan.best = point_of(tree, programme.joint_of(fastest(root)->trace));
    plan.time_lower_bound = plan.best.time;
    return plan;
  } catch (const WorkLimit&) {
  }
  return plan_calltree_grid(tree, budget_bytes, options);
}

}  // namespace memsched
