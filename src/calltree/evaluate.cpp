// Closed formulas for the time and peak of an assignment, and the push/pop simulator that
// checks them (docs/calltree.md, "Run time" and "Peak tape memory").
#include "memsched/calltree/evaluate.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/plan/revolve.hpp"

namespace memsched {

CallTreeCost evaluate_calltree(const CallTree& tree, const JointSet& joint) {
  check_joint_set(tree, joint, "evaluate_calltree");
  const CallIndex n = tree.num_calls();
  std::vector<Bytes> turn(static_cast<std::size_t>(n), 0);    // F(v)
  std::vector<Bytes> peak(static_cast<std::size_t>(n), 0);    // Q(v)
  std::vector<double> extra(static_cast<std::size_t>(n), 0);  // extra time of one call of v
  // Children have larger indices than their parent: a reverse sweep sees children first.
  for (CallIndex v = n - 1; v >= 0; --v) {
    const CallIndex k = tree.num_children(v);
    Bytes children = 0;  // sum of x_i over the calls made so far
    Bytes q = 0;
    double dt = 0;  // extra time of one run of v's body
    for (CallIndex j = 0; j < k; ++j) {
      const CallIndex c = tree.child(v, j);
      const auto ci = static_cast<std::size_t>(c);
      const Bytes pre = tree.tape_before(v, j) + children;  // pre_j(v)
      q = std::max(q, pre + peak[ci]);
      children += joint[ci] ? tree.call(c).snapshot_bytes : turn[ci];
      dt += extra[ci] + (joint[ci] ? tree.joint_cost(c) : 0.0);
    }
    const auto vi = static_cast<std::size_t>(v);
    // A loop node holds L = min(S, N - 1) iteration snapshots under its last iteration's tape
    // at its turn, and at most L under any iteration's reversal (docs/calltree.md).
    const Bytes slots = tree.loop_live_snapshots(v) * tree.call(v).snapshot_bytes;
    turn[vi] = slots + tree.call(v).tape_bytes + children;
    peak[vi] = slots + std::max(q, tree.call(v).tape_bytes + children);
    extra[vi] = dt * static_cast<double>(tree.iterations(v));
  }
  // base_time holds every body's recording and reversal and every loop's Revolve advances.
  return {tree.base_time() + extra[0], peak[0]};
}

namespace {

// The simulated byte stack: every entry remembers what pushed it so pops are checked.
class CallSimulator {
 public:
  CallSimulator(const CallTree& tree, const JointSet& joint, bool record, std::int64_t max_events,
                bool record_plain)
      : tree_(tree),
        joint_(joint),
        record_(record),
        record_plain_(record_plain),
        max_events_(max_events) {
    result_.plain_runs.assign(static_cast<std::size_t>(tree.num_calls()), 0);
    result_.record_runs.assign(static_cast<std::size_t>(tree.num_calls()), 0);
    streams_.resize(static_cast<std::size_t>(tree.num_calls()));
  }

  CallTreeSimulation run() {
    // frames_ is a stack: Rec(root) on top of Bwd(root).
    push_frame(CallTree::root(), true);
    push_frame(CallTree::root(), false);
    while (!frames_.empty()) {
      switch (frames_.back().kind) {
        case FrameKind::kRecord:
          step_record();
          break;
        case FrameKind::kBackward:
          step_backward();
          break;
        case FrameKind::kLoopRecord:
        case FrameKind::kLoopBackward:
          step_loop();
          break;
      }
    }
    if (!stack_.empty()) internal("the stack is not empty at the end");
    result_.cost.time = clock_;
    return std::move(result_);
  }

 private:
  // kRecord / kBackward: one run of a body (Rec / Bwd of docs/calltree.md). kLoopRecord /
  // kLoopBackward: Rec / Bwd of a loop node, which replay its Revolve schedule and run its
  // body through kRecord / kBackward frames.
  enum class FrameKind : std::uint8_t { kRecord, kBackward, kLoopRecord, kLoopBackward };
  struct Frame {
    CallIndex call;
    FrameKind kind;
    CallIndex next;  // Rec: next child to run; Bwd: number of children left to reverse
    bool started;
    bool pending;  // a child frame was pushed and the piece after (or before) it is due
  };
  enum class EntryKind : std::uint8_t { kTape, kSnapshot, kSlot };
  struct Entry {
    EntryKind kind;
    CallIndex call;
    Bytes bytes;
    Step step;  // kSlot: the iteration state x_step it holds
  };

  [[noreturn]] void internal(const std::string& what) const {
    throw std::logic_error("simulate_calltree: internal error: " + what);
  }

  void push_frame(CallIndex c, bool backward) {
    FrameKind kind = backward ? FrameKind::kBackward : FrameKind::kRecord;
    if (tree_.is_loop(c)) kind = backward ? FrameKind::kLoopBackward : FrameKind::kLoopRecord;
    frames_.push_back({c, kind, 0, false, false});
  }

  void event(CallEventKind kind, CallIndex call, Bytes bytes) {
    if (!record_ || (kind == CallEventKind::kPlain && !record_plain_)) return;
    if (static_cast<std::int64_t>(result_.events.size()) >= max_events_) {
      throw std::length_error("simulate_calltree: more than " + std::to_string(max_events_) +
                              " events; simulate without recording them");
    }
    result_.events.push_back({kind, call, bytes, height_, clock_});
  }

  static CallEventKind push_kind(EntryKind kind) {
    switch (kind) {
      case EntryKind::kTape:
        return CallEventKind::kPushTape;
      case EntryKind::kSnapshot:
        return CallEventKind::kPushSnapshot;
      case EntryKind::kSlot:
        break;
    }
    return CallEventKind::kPushSlot;
  }
  static CallEventKind pop_kind(EntryKind kind) {
    switch (kind) {
      case EntryKind::kTape:
        return CallEventKind::kPopTape;
      case EntryKind::kSnapshot:
        return CallEventKind::kPopSnapshot;
      case EntryKind::kSlot:
        break;
    }
    return CallEventKind::kPopSlot;
  }

  // Empty tape pieces are skipped; snapshots never are (their events mark a joint call).
  void push(EntryKind kind, CallIndex call, Bytes bytes, Step step = 0) {
    if (bytes == 0 && kind == EntryKind::kTape) return;
    stack_.push_back({kind, call, bytes, step});
    height_ += bytes;
    result_.cost.peak = std::max(result_.cost.peak, height_);
    ++result_.pushes;
    event(push_kind(kind), call, bytes);
  }

  void pop(EntryKind kind, CallIndex call, Bytes bytes, Step step = 0) {
    if (bytes == 0 && kind == EntryKind::kTape) return;
    if (stack_.empty()) internal("pop from an empty stack");
    const Entry top = stack_.back();
    if (top.kind != kind || top.call != call || top.bytes != bytes || top.step != step) {
      internal("pop of call " + std::to_string(call) + " finds call " + std::to_string(top.call) +
               " on top");
    }
    stack_.pop_back();
    height_ -= bytes;
    ++result_.pops;
    event(pop_kind(kind), call, bytes);
  }

  // The j-th piece of v's own tape: pushed before child j (j < k) or after the last call.
  Bytes piece(CallIndex v, CallIndex j) const {
    return j == 0 ? tree_.tape_before(v, 0) : tree_.tape_before(v, j) - tree_.tape_before(v, j - 1);
  }

  // `runs` plain runs of u's body with its calls (Plain(u) is plain_body(u, N_u)): nothing is
  // pushed. A call inside runs once per run of its caller's body, times its own iterations.
  void plain_body(CallIndex u0, std::int64_t runs0) {
    if (record_ && !record_plain_) {
      clock_ += tree_.body_time(u0) * static_cast<double>(runs0);  // not walked: O(1)
      return;
    }
    walk_.assign(1, {u0, runs0});
    while (!walk_.empty()) {
      const auto [u, runs] = walk_.back();
      walk_.pop_back();
      clock_ += tree_.call(u).time * static_cast<double>(runs);
      result_.plain_runs[static_cast<std::size_t>(u)] += runs;
      event(CallEventKind::kPlain, u, 0);
      for (CallIndex j = tree_.num_children(u) - 1; j >= 0; --j) {
        const CallIndex c = tree_.child(u, j);
        walk_.push_back({c, runs * tree_.iterations(c)});
      }
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
      push(EntryKind::kTape, v, piece(v, 0));
    }
    if (f.pending) {
      f.pending = false;
      push(EntryKind::kTape, v, piece(v, f.next));
    }
    while (f.next < k) {
      const CallIndex c = tree_.child(v, f.next);
      ++f.next;
      if (joint_[static_cast<std::size_t>(c)]) {
        clock_ += tree_.call(c).snapshot_write_time;
        push(EntryKind::kSnapshot, c, tree_.call(c).snapshot_bytes);
        plain_body(c, tree_.iterations(c));
        push(EntryKind::kTape, v, piece(v, f.next));
      } else {
        f.pending = true;
        push_frame(c, false);  // invalidates f
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
      pop(EntryKind::kTape, v, piece(v, f.next));
    }
    if (f.pending) {
      f.pending = false;
      pop(EntryKind::kTape, v, piece(v, f.next));
    }
    if (f.next > 0) {
      --f.next;
      f.pending = true;
      const CallIndex c = tree_.child(v, f.next);
      const bool joint = joint_[static_cast<std::size_t>(c)];
      if (joint) {
        pop(EntryKind::kSnapshot, c, tree_.call(c).snapshot_bytes);
        clock_ += tree_.call(c).snapshot_read_time;
      }
      push_frame(c, true);  // invalidates f
      if (joint) push_frame(c, false);
      return;
    }
    event(CallEventKind::kAdjointEnd, v, 0);
    frames_.pop_back();
  }

  // Rec or Bwd of a loop node: the actions of Revolve (the chain planners' RevolveStream over
  // N iterations with S slots), the forward sweep up to EndForward in Rec, the rest in Bwd.
  // A recording Forward or a Reverse hands one iteration to a body frame and resumes after it.
  void step_loop() {
    Frame& f = frames_.back();
    const CallIndex v = f.call;
    std::optional<RevolveStream>& stream = streams_[static_cast<std::size_t>(v)];
    const bool forward_sweep = f.kind == FrameKind::kLoopRecord;
    if (!f.started) {
      f.started = true;
      if (forward_sweep) {
        if (stream) internal("loop '" + tree_.call(v).name + "' entered twice");
        stream.emplace(tree_.call(v).loop->iterations, tree_.call(v).loop->snapshots);
      } else if (!stream) {
        internal("loop '" + tree_.call(v).name + "' reversed before it ran");
      }
    }
    const Bytes slot = tree_.call(v).snapshot_bytes;
    while (true) {
      const std::optional<Action> action = stream->next();
      if (!action) internal("Revolve stream ended without EndReverse");
      const Action& a = *action;
      switch (a.kind) {
        case ActionKind::kForward:
          if (a.record()) {
            if (a.end - a.begin != 1) internal("a recording run of several iterations");
            frames_.push_back({v, FrameKind::kRecord, 0, false, false});  // invalidates f
            return;
          }
          plain_body(v, a.end - a.begin);
          break;
        case ActionKind::kReverse:
          if (forward_sweep || a.end - a.begin != 1) internal("unexpected Reverse");
          frames_.push_back({v, FrameKind::kBackward, 0, false, false});  // invalidates f
          return;
        case ActionKind::kCopy:
          if (a.to != kWork) {
            push(EntryKind::kSlot, v, slot, a.step);  // store x_step
          } else if (stack_.empty() || stack_.back().kind != EntryKind::kSlot ||
                     stack_.back().call != v || stack_.back().step != a.step) {
            internal("restore of a snapshot not on top of the stack");
          }
          break;
        case ActionKind::kMove:
          if (a.to != kWork) internal("unexpected Move");
          pop(EntryKind::kSlot, v, slot, a.step);  // restore x_step and release it
          break;
        case ActionKind::kEndForward:
          if (!forward_sweep) internal("EndForward in the backward sweep");
          frames_.pop_back();
          return;
        case ActionKind::kEndReverse:
          if (forward_sweep) internal("EndReverse in the forward sweep");
          stream.reset();
          frames_.pop_back();
          return;
        case ActionKind::kFree:
          internal("unexpected Free");
      }
    }
  }

  const CallTree& tree_;
  const JointSet& joint_;
  bool record_;
  bool record_plain_;
  std::int64_t max_events_;
  CallTreeSimulation result_;
  std::vector<Frame> frames_;
  std::vector<Entry> stack_;
  std::vector<std::pair<CallIndex, std::int64_t>> walk_;
  std::vector<std::optional<RevolveStream>> streams_;  // per loop node, while it runs
  Bytes height_ = 0;
  double clock_ = 0;
};

// Body runs and Revolve actions the replay needs: sum over calls of occurrences x N, plus per
// loop occurrences x (N + t(N, S)). Saturates.
double replay_work(const CallTree& tree) {
  double work = 0;
  for (CallIndex v = 0; v < tree.num_calls(); ++v) {
    const auto occ = static_cast<double>(tree.occurrences(v));
    const auto n = static_cast<double>(tree.iterations(v));
    work += occ * n;
    if (tree.is_loop(v)) work += occ * (n + static_cast<double>(tree.loop_advances(v)));
  }
  return work;
}

}  // namespace

CallTreeSimulation simulate_calltree(const CallTree& tree, const JointSet& joint,
                                     bool record_events, std::int64_t max_events,
                                     bool record_plain_runs) {
  check_joint_set(tree, joint, "simulate_calltree");
  if (max_events < 0) {
    throw std::invalid_argument("simulate_calltree: max_events " + std::to_string(max_events) +
                                " is negative");
  }
  const double work = replay_work(tree);
  if (work > kMaxSimulatedRuns) {
    throw std::length_error("simulate_calltree: replaying the loops takes about " +
                            std::to_string(work) + " body runs and Revolve actions, more than " +
                            std::to_string(kMaxSimulatedRuns) + "; use evaluate_calltree");
  }
  return CallSimulator(tree, joint, record_events, max_events, record_plain_runs).run();
}

}  // namespace memsched
