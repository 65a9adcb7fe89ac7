// The call-tree model of a source-transformation adjoint: per call, its own times and tape,
// its snapshot, and whether it may be reversed joint (checkpointed) or split (store-all).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memsched {

/// An index of a call in a CallTree, from 0 (the root) to num_calls() - 1.
using CallIndex = std::int64_t;

/// A size in bytes of tape or snapshot.
using Bytes = std::int64_t;

/// The largest total a CallTree accepts: the sum of every call's tape and snapshot bytes must
/// not exceed 2^62, so every stack height the formulas and planners form fits in 64 bits.
inline constexpr Bytes kMaxCallTreeBytes = Bytes{1} << 62;

/// The most calls a CallTree accepts (2^24); larger trees are refused with their size.
inline constexpr CallIndex kMaxCalls = CallIndex{1} << 24;

/// The most iterations a loop node accepts (2^40), and the most iterations along any path of
/// nested loops together (their product, 2^62): larger values are refused with their size.
inline constexpr std::int64_t kMaxLoopIterations = std::int64_t{1} << 40;
inline constexpr std::int64_t kMaxNestedIterations = std::int64_t{1} << 62;

/// A loop node's iteration chain: its body runs `iterations` times as a chain of states
/// x_0 -> x_1 -> ... -> x_N and is reversed by Revolve (Griewank & Walther, ACM TOMS 26(1),
/// 2000) with `snapshots` slots, each holding one iteration state of the call's snapshot_bytes
/// (the slot of x_0 included). Slots beyond N - 1 are never used. With min_snapshots > 0 the
/// planners may choose any S in [min_snapshots, snapshots] (fewer slots: less memory, more
/// plain iterations); evaluation and simulation use `snapshots`.
struct CallLoop {
  std::int64_t iterations = 1;     ///< N, in [1, kMaxLoopIterations]
  std::int64_t snapshots = 1;      ///< S, in [1, kMaxLoopIterations]
  std::int64_t min_snapshots = 0;  ///< 0: S is fixed; otherwise in [1, snapshots]
};

/// A constraint on how one call may be reversed.
enum class CallPin : std::uint8_t {
  kFree,   ///< the planner chooses joint or split
  kJoint,  ///< must stay joint (e.g. the backward sweep changes parameters the call reads)
  kSplit,  ///< must stay split (e.g. the call cannot be re-run from a snapshot)
};

/// One call of a call tree, as given to the CallTree constructor. Times are in any one unit
/// (seconds, cycles); bytes are bytes.
struct CallNode {
  std::string name;         ///< identifier, unique in the tree, non-empty
  CallIndex parent = -1;    ///< -1 for the root; otherwise an index smaller than this call's
  double time = 0;          ///< t: plain (non-recording) run of the call's own body
  double record_time = 0;   ///< f: recording run of its own body (primal plus pushes)
  double adjoint_time = 0;  ///< b: backward sweep of its own body
  Bytes tape_bytes = 0;     ///< tau: bytes its own body pushes when recorded
  /// tau^(j): bytes of its own tape pushed before its j-th call, cumulative (non-decreasing,
  /// each <= tape_bytes), one entry per child. Empty means all of it before the first call.
  std::vector<Bytes> tape_before_calls;
  Bytes snapshot_bytes = 0;        ///< s: bytes saved to re-run the call later (joint)
  double snapshot_write_time = 0;  ///< omega: time to write the snapshot
  double snapshot_read_time = 0;   ///< rho: time to read it back
  CallPin pin = CallPin::kFree;    ///< the root is always split whatever this says
  /// The static call site (source location or callee) this dynamic call comes from; empty
  /// means the call is its own site. Profiles aggregate per site.
  std::string site;
  /// Set for a loop node: the call's own body (its times, its tape with tape_before_calls, and
  /// its calls) is one iteration, run loop->iterations times and reversed by Revolve with
  /// loop->snapshots slots of snapshot_bytes each (docs/calltree.md, "Loop nodes"). Every
  /// field and every call below describes one iteration; all iterations are alike.
  std::optional<CallLoop> loop;
};

/// A dynamic call tree of an adjoint (Griewank & Walther, Evaluating Derivatives, SIAM 2008,
/// ch. 12; the model of docs/calltree.md): calls with their children in call order.
///
/// Reversing a call **split** records it inside its caller's forward sweep and reverses it
/// inside the caller's backward sweep; reversing it **joint** pushes a snapshot and runs it
/// plainly in the forward sweep, then pops the snapshot, re-runs it recording and reverses it
/// at once in the backward sweep. The root is reversed once, as the top-level adjoint.
///
/// The constructor validates once and throws std::invalid_argument naming the first bad call:
/// no calls or more than kMaxCalls, a parent not smaller than its child's index (the root is
/// index 0 with parent -1), an empty or repeated name, a negative or non-finite time, a
/// negative size, tape_before_calls of the wrong length, decreasing or above tape_bytes, a
/// root pinned joint, a loop with iterations or snapshots outside [1, kMaxLoopIterations],
/// nested loops whose iterations multiply past kMaxNestedIterations, a loop whose Revolve
/// step count does not fit in 64 bits, or total bytes (each loop's min(S, N - 1) slots
/// included) over kMaxCallTreeBytes. O(n) time and memory.
///
///     CallTree tree({{"R", -1, 1, 1, 2, 10}, {"A", 0, 4, 4, 8, 40, {}, 8}});
class CallTree {
 public:
  explicit CallTree(std::vector<CallNode> calls);

  CallIndex num_calls() const noexcept { return static_cast<CallIndex>(calls_.size()); }
  static constexpr CallIndex root() noexcept { return 0; }

  /// The call as given (tape_before_calls filled in when it was empty). Accessors do not
  /// check i: it must be in [0, num_calls()).
  const CallNode& call(CallIndex i) const { return calls_[index(i)]; }
  /// The index of the call named `name`, if any. O(log n).
  std::optional<CallIndex> find(const std::string& name) const;

  /// Number of calls made by call i.
  CallIndex num_children(CallIndex i) const {
    return child_begin_[index(i) + 1] - child_begin_[index(i)];
  }
  /// The j-th call made by call i (j from 0), in call order.
  CallIndex child(CallIndex i, CallIndex j) const {
    return child_list_[static_cast<std::size_t>(child_begin_[index(i)] + j)];
  }
  /// tau^(j+1) of call i: bytes of its own tape pushed before its j-th call (j from 0);
  /// j = num_children(i) gives tape_bytes.
  Bytes tape_before(CallIndex i, CallIndex j) const {
    const CallNode& c = calls_[index(i)];
    return j < num_children(i) ? c.tape_before_calls[static_cast<std::size_t>(j)] : c.tape_bytes;
  }

  /// P: plain time of one call i with its whole subtree (its own and every descendant's
  /// `time`, each body counted once per iteration of the loops around it up to i, i's own
  /// iterations included).
  double subtree_time(CallIndex i) const {
    return body_time_[index(i)] * static_cast<double>(iterations(i));
  }
  /// Plain time of one run of call i's body with its calls: subtree_time / iterations.
  double body_time(CallIndex i) const { return body_time_[index(i)]; }
  /// P + omega + rho: the time making call i joint adds, whatever the other choices.
  double joint_cost(CallIndex i) const {
    return subtree_time(i) + call(i).snapshot_write_time + call(i).snapshot_read_time;
  }
  /// May call i be joint? False for the root and calls pinned split.
  bool may_be_joint(CallIndex i) const { return i != root() && call(i).pin != CallPin::kSplit; }
  /// May call i be split? False for calls pinned joint.
  bool may_be_split(CallIndex i) const { return i == root() || call(i).pin != CallPin::kJoint; }
  /// The static site of call i: its `site`, or its name when that is empty.
  const std::string& site(CallIndex i) const {
    return call(i).site.empty() ? call(i).name : call(i).site;
  }
  /// Depth of call i (the root has depth 0).
  CallIndex depth(CallIndex i) const { return depth_[index(i)]; }

  /// Is call i a loop node?
  bool is_loop(CallIndex i) const { return call(i).loop.has_value(); }
  /// N: iterations of call i's body per call (1 unless a loop node).
  std::int64_t iterations(CallIndex i) const { return is_loop(i) ? call(i).loop->iterations : 1; }
  /// t(N, S): the plain iterations Revolve adds to reverse loop i once (revolve_advances);
  /// 0 unless a loop node.
  std::int64_t loop_advances(CallIndex i) const { return loop_advances_[index(i)]; }
  /// The fewest snapshots a planner may give loop i: min_snapshots, or snapshots when fixed.
  std::int64_t loop_min_snapshots(CallIndex i) const {
    const CallLoop& l = *call(i).loop;
    return l.min_snapshots > 0 ? l.min_snapshots : l.snapshots;
  }
  /// Does loop i let the planners choose its snapshot count?
  bool loop_has_choice(CallIndex i) const {
    return is_loop(i) && loop_min_snapshots(i) < call(i).loop->snapshots;
  }
  /// L = min(S, N - 1): the most iteration snapshots loop i holds at once, which it holds when
  /// its last iteration is recorded (docs/calltree.md); 0 unless a loop node.
  std::int64_t loop_live_snapshots(CallIndex i) const {
    return is_loop(i) ? std::min(call(i).loop->snapshots, call(i).loop->iterations - 1) : 0;
  }
  /// How many times call i is made in one adjoint: the product of the iterations of the loops
  /// strictly above it (1 outside loops). Every one of them is recorded and reversed once.
  std::int64_t occurrences(CallIndex i) const { return occurrences_[index(i)]; }

  /// The run time of the all-split assignment, the least of any assignment: the sum over calls
  /// of (record_time + adjoint_time) times the runs of their body, plus each loop's Revolve
  /// advances (occurrences x t(N, S) x body_time). Without loops: the time of store-all.
  double base_time() const noexcept { return base_time_; }
  /// The peak of the all-split assignment. Without loops: the sum of every call's own tape
  /// (store-all).
  Bytes total_tape() const noexcept { return total_tape_; }

 private:
  static std::size_t index(CallIndex i) { return static_cast<std::size_t>(i); }

  std::vector<CallNode> calls_;
  std::vector<CallIndex> child_begin_;  // CSR offsets, size n + 1
  std::vector<CallIndex> child_list_;
  std::vector<double> body_time_;
  std::vector<CallIndex> depth_;
  std::vector<std::int64_t> loop_advances_;
  std::vector<std::int64_t> occurrences_;
  std::vector<std::pair<std::string, CallIndex>> by_name_;  // sorted by name
  double base_time_ = 0;
  Bytes total_tape_ = 0;
};

/// A joint/split assignment: joint[i] is true when call i is reversed joint. Its size must be
/// num_calls(); joint[root] must be false.
using JointSet = std::vector<bool>;

/// A snapshot count chosen for a loop node whose count is a range.
struct LoopChoice {
  CallIndex call;
  std::int64_t snapshots;
  friend bool operator==(const LoopChoice& a, const LoopChoice& b) noexcept {
    return a.call == b.call && a.snapshots == b.snapshots;
  }
};

/// `tree` with each chosen loop's snapshots set to its choice (its range then collapses to that
/// one value): the tree on which an assignment with these choices is evaluated. Throws
/// std::out_of_range for a call outside the tree and std::invalid_argument for a call that is
/// not a loop or a count outside [loop_min_snapshots, snapshots]. O(n).
CallTree with_loop_snapshots(const CallTree& tree, const std::vector<LoopChoice>& choices);

/// The assignment whose joint calls are exactly `joint` (indices).
/// Throws std::out_of_range for an index outside the tree.
JointSet joint_set(const CallTree& tree, const std::vector<CallIndex>& joint);

/// The indices of the joint calls of `joint`, increasing.
std::vector<CallIndex> joint_calls(const JointSet& joint);

/// Every call that may be joint made joint: Tapenade's default (it checkpoints every call),
/// except calls pinned split.
JointSet all_joint(const CallTree& tree);

/// Throws std::invalid_argument naming `function` if `joint` has the wrong size, makes the
/// root joint, or breaks a pin.
void check_joint_set(const CallTree& tree, const JointSet& joint, const char* function);

}  // namespace memsched
