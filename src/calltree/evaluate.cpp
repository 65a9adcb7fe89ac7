// Closed formulas for the time and peak of an assignment, and the push/pop simulator that
// checks them (docs/calltree.md, "Run time" and "Peak tape memory").
#include "memsched/calltree/evaluate.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace memsched {

CallTreeCost evaluate_calltree(const CallTree& tree, const JointSet& joint) {
  check_joint_set(tree, joint, "evaluate_calltree");
  const CallIndex n = tree.num_calls();
  std::vector<Bytes> turn(static_cast<std::size_t>(n), 0);  // F(v)
  std::vector<Bytes> peak(static_cast<std::size_t>(n), 0);  // Q(v)
  CallTreeCost cost;
  cost.time = tree.base_time();
  // Children have larger indices than their parent: a reverse sweep sees children first.
  for (CallIndex v = n - 1; v >= 0; --v) {
    const CallIndex k = tree.num_children(v);
    Bytes children = 0;  // sum of x_i over the calls made so far
    Bytes q = 0;
    for (CallIndex j = 0; j < k; ++j) {
      const CallIndex c = tree.child(v, j);
      const auto ci = static_cast<std::size_t>(c);
      const Bytes pre = tree.tape_before(v, j) + children;  // pre_j(v)
      q = std::max(q, pre + peak[ci]);
      children += joint[ci] ? tree.call(c).snapshot_bytes : turn[ci];
    }
    const auto vi = static_cast<std::size_t>(v);
    turn[vi] = tree.call(v).tape_bytes + children;
    peak[vi] = std::max(q, turn[vi]);
    if (joint[vi]) cost.time += tree.joint_cost(v);
  }
  cost.peak = peak[0];
  return cost;
}

namespace {

// The simulated byte stack: every entry remembers what pushed it so pops are checked.
class Simulator {
 public:
  Simulator(const CallTree& tree, const JointSet& joint, bool record, std::int64_t max_events,
            bool record_plain)
      : tree_(tree),
        joint_(joint),
        record_(record),
        record_plain_(record_plain),
        max_events_(max_events) {
    result_.plain_runs.assign(static_cast<std::size_t>(tree.num_calls()), 0);
    result_.record_runs.assign(static_cast<std::size_t>(tree.num_calls()), 0);
  }

  CallTreeSimulation run() {
    // frames_ is a stack: Rec(root) on top of Bwd(root).
    frames_.push_back({CallTree::root(), true, 0, false, false});
    frames_.push_back({CallTree::root(), false, 0, false, false});
    while (!frames_.empty()) {
      if (frames_.back().backward) {
        step_backward();
      } else {
        step_record();
      }
    }
    if (!stack_.empty()) internal("the stack is not empty at the end");
    result_.cost.time = clock_;
    return std::move(result_);
  }

 private:
  struct Frame {
    CallIndex call;
    bool backward;
    CallIndex next;  // Rec: next child to run; Bwd: number of children left to reverse
    bool started;
    bool pending;  // a child frame was pushed and the piece after (or before) it is due
  };
  struct Entry {
    bool snapshot;
    CallIndex call;
    Bytes bytes;
  };

  [[noreturn]] void internal(const std::string& what) const {
    throw std::logic_error("simulate_calltree: internal error: " + what);
  }

  void event(CallEventKind kind, CallIndex call, Bytes bytes) {
    if (!record_ || (kind == CallEventKind::kPlain && !record_plain_)) return;
    if (static_cast<std::int64_t>(result_.events.size()) >= max_events_) {
      throw std::length_error("simulate_calltree: more than " + std::to_string(max_events_) +
                              " events; simulate without recording them");
    }
    result_.events.push_back({kind, call, bytes, height_, clock_});
  }

  // Empty tape pieces are skipped; snapshots never are (their events mark a joint call).
  void push(bool snapshot, CallIndex call, Bytes bytes) {
    if (bytes == 0 && !snapshot) return;
    stack_.push_back({snapshot, call, bytes});
    height_ += bytes;
    result_.cost.peak = std::max(result_.cost.peak, height_);
    ++result_.pushes;
    event(snapshot ? CallEventKind::kPushSnapshot : CallEventKind::kPushTape, call, bytes);
  }

  void pop(bool snapshot, CallIndex call, Bytes bytes) {
    if (bytes == 0 && !snapshot) return;
    if (stack_.empty()) internal("pop from an empty stack");
    const Entry top = stack_.back();
    if (top.snapshot != snapshot || top.call != call || top.bytes != bytes) {
      internal("pop of call " + std::to_string(call) + " finds call " + std::to_string(top.call) +
               " on top");
    }
    stack_.pop_back();
    height_ -= bytes;
    ++result_.pops;
    event(snapshot ? CallEventKind::kPopSnapshot : CallEventKind::kPopTape, call, bytes);
  }

  // The j-th piece of v's own tape: pushed before child j (j < k) or after the last call.
  Bytes piece(CallIndex v, CallIndex j) const {
    return j == 0 ? tree_.tape_before(v, 0) : tree_.tape_before(v, j) - tree_.tape_before(v, j - 1);
  }

  // Plain(c): the whole subtree runs without recording and pushes nothing.
  void plain(CallIndex c) {
    if (record_ && !record_plain_) {
      clock_ += tree_.subtree_time(c);  // not walked: O(1) instead of O(subtree)
      return;
    }
    walk_.assign(1, c);
    while (!walk_.empty()) {
      const CallIndex u = walk_.back();
      walk_.pop_back();
      clock_ += tree_.call(u).time;
      ++result_.plain_runs[static_cast<std::size_t>(u)];
      event(CallEventKind::kPlain, u, 0);
      for (CallIndex j = tree_.num_children(u) - 1; j >= 0; --j) walk_.push_back(tree_.child(u, j));
    }
  }

  void step_record() {
    Frame& f = frames_.back();
    const CallIndex v = f.call;
    const CallIndex k = tree_.num_children(v);
    if (!f.started) {
      f.started = true;
      clock_ += tree_.call(v).record_time;
      ++result_.record_runs[static_cast<std::size_t>(v)];
      event(CallEventKind::kRecord, v, 0);
      push(false, v, piece(v, 0));
    }
    if (f.pending) {
      f.pending = false;
      push(false, v, piece(v, f.next));
    }
    while (f.next < k) {
      const CallIndex c = tree_.child(v, f.next);
      ++f.next;
      if (joint_[static_cast<std::size_t>(c)]) {
        clock_ += tree_.call(c).snapshot_write_time;
        push(true, c, tree_.call(c).snapshot_bytes);
        plain(c);
        push(false, v, piece(v, f.next));
      } else {
        f.pending = true;
        frames_.push_back({c, false, 0, false, false});  // invalidates f
        return;
      }
    }
    frames_.pop_back();
  }

  void step_backward() {
    Frame& f = frames_.back();
    const CallIndex v = f.call;
    if (!f.started) {
      f.started = true;
      f.next = tree_.num_children(v);
      clock_ += tree_.call(v).adjoint_time;
      event(CallEventKind::kAdjoint, v, 0);
      pop(false, v, piece(v, f.next));
    }
    if (f.pending) {
      f.pending = false;
      pop(false, v, piece(v, f.next));
    }
    if (f.next > 0) {
      --f.next;
      f.pending = true;
      const CallIndex c = tree_.child(v, f.next);
      const bool joint = joint_[static_cast<std::size_t>(c)];
      if (joint) {
        pop(true, c, tree_.call(c).snapshot_bytes);
        clock_ += tree_.call(c).snapshot_read_time;
      }
      frames_.push_back({c, true, 0, false, false});  // invalidates f
      if (joint) frames_.push_back({c, false, 0, false, false});
      return;
    }
    event(CallEventKind::kAdjointEnd, v, 0);
    frames_.pop_back();
  }

  const CallTree& tree_;
  const JointSet& joint_;
  bool record_;
  bool record_plain_;
  std::int64_t max_events_;
  CallTreeSimulation result_;
  std::vector<Frame> frames_;
  std::vector<Entry> stack_;
  std::vector<CallIndex> walk_;
  Bytes height_ = 0;
  double clock_ = 0;
};

}  // namespace

CallTreeSimulation simulate_calltree(const CallTree& tree, const JointSet& joint,
                                     bool record_events, std::int64_t max_events,
                                     bool record_plain_runs) {
  check_joint_set(tree, joint, "simulate_calltree");
  if (max_events < 0) {
    throw std::invalid_argument("simulate_calltree: max_events " + std::to_string(max_events) +
                                " is negative");
  }
  return Simulator(tree, joint, record_events, max_events, record_plain_runs).run();
}

}  // namespace memsched
