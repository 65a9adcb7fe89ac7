// Validation of call trees and the per-call quantities the formulas need (subtree times).
#include "memsched/calltree/call_tree.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "memsched/plan/binomial.hpp"

namespace memsched {

namespace {

[[noreturn]] void bad_call(CallIndex i, const std::string& name, const std::string& message) {
  throw std::invalid_argument("CallTree: call " + std::to_string(i) +
                              (name.empty() ? std::string() : " ('" + name.substr(0, 60) + "')") +
                              ": " + message);
}

void check_time(CallIndex i, const CallNode& c, double value, const char* what) {
  if (!std::isfinite(value) || value < 0) {
    bad_call(
        i, c.name,
        std::string(what) + " " + std::to_string(value) + " is not a finite non-negative number");
  }
}

}  // namespace

CallTree::CallTree(std::vector<CallNode> calls) : calls_(std::move(calls)) {
  const auto n = static_cast<CallIndex>(calls_.size());
  if (n == 0) throw std::invalid_argument("CallTree: no calls");
  if (n > kMaxCalls) {
    throw std::invalid_argument("CallTree: " + std::to_string(n) + " calls, more than the " +
                                std::to_string(kMaxCalls) + " accepted");
  }
  std::vector<CallIndex> count(calls_.size() + 1, 0);
  Bytes total = 0;
  for (CallIndex i = 0; i < n; ++i) {
    const CallNode& c = calls_[index(i)];
    if (c.name.empty()) bad_call(i, c.name, "empty name");
    if (i == 0 && c.parent != -1) bad_call(i, c.name, "the root (call 0) must have parent -1");
    if (i > 0 && (c.parent < 0 || c.parent >= i)) {
      bad_call(i, c.name,
               "parent " + std::to_string(c.parent) + " is not in [0, " + std::to_string(i) +
                   ") (calls are listed parents first)");
    }
    if (i == 0 && c.pin == CallPin::kJoint) bad_call(i, c.name, "the root cannot be joint");
    check_time(i, c, c.time, "time");
    check_time(i, c, c.record_time, "record_time");
    check_time(i, c, c.adjoint_time, "adjoint_time");
    check_time(i, c, c.snapshot_write_time, "snapshot_write_time");
    check_time(i, c, c.snapshot_read_time, "snapshot_read_time");
    if (c.tape_bytes < 0) bad_call(i, c.name, "negative tape_bytes");
    if (c.snapshot_bytes < 0) bad_call(i, c.name, "negative snapshot_bytes");
    if (c.tape_bytes > kMaxCallTreeBytes - total ||
        c.snapshot_bytes > kMaxCallTreeBytes - total - c.tape_bytes) {
      bad_call(i, c.name, "total tape and snapshot bytes exceed 2^62");
    }
    total += c.tape_bytes + c.snapshot_bytes;
    if (c.loop) {
      const std::int64_t iterations = c.loop->iterations;
      const std::int64_t snapshots = c.loop->snapshots;
      if (iterations < 1 || iterations > kMaxLoopIterations) {
        bad_call(i, c.name,
                 "loop iterations " + std::to_string(iterations) + " is not in [1, 2^40]");
      }
      if (snapshots < 1 || snapshots > kMaxLoopIterations) {
        bad_call(i, c.name, "loop snapshots " + std::to_string(snapshots) + " is not in [1, 2^40]");
      }
      if (c.loop->min_snapshots < 0 || c.loop->min_snapshots > snapshots) {
        bad_call(i, c.name,
                 "loop min_snapshots " + std::to_string(c.loop->min_snapshots) + " is not in [1, " +
                     std::to_string(snapshots) + "] (the loop's snapshots), nor 0 (fixed)");
      }
      // The loop holds at most min(S, N - 1) iteration states at once (docs/calltree.md).
      const Bytes live = std::min(snapshots, iterations - 1);
      if (live > 0 && c.snapshot_bytes > (kMaxCallTreeBytes - total) / live) {
        bad_call(i, c.name,
                 "total tape and snapshot bytes exceed 2^62 (" + std::to_string(live) +
                     " loop snapshots of " + std::to_string(c.snapshot_bytes) + " bytes)");
      }
      total += live * c.snapshot_bytes;
    }
    if (i > 0) ++count[index(c.parent)];
  }
  // Children in call order = increasing index (CSR).
  child_begin_.assign(calls_.size() + 1, 0);
  for (CallIndex i = 0; i < n; ++i)
    child_begin_[index(i) + 1] = child_begin_[index(i)] + count[index(i)];
  child_list_.assign(calls_.size() > 0 ? calls_.size() - 1 : 0, 0);
  std::vector<CallIndex> fill(child_begin_.begin(), child_begin_.end() - 1);
  depth_.assign(calls_.size(), 0);
  for (CallIndex i = 1; i < n; ++i) {
    const CallIndex p = calls_[index(i)].parent;
    child_list_[index(fill[index(p)]++)] = i;
    depth_[index(i)] = depth_[index(p)] + 1;
  }
  for (CallIndex i = 0; i < n; ++i) {
    CallNode& c = calls_[index(i)];
    const CallIndex k = num_children(i);
    if (c.tape_before_calls.empty()) {
      c.tape_before_calls.assign(static_cast<std::size_t>(k), c.tape_bytes);
      continue;
    }
    if (static_cast<CallIndex>(c.tape_before_calls.size()) != k) {
      bad_call(i, c.name,
               "tape_before_calls has " + std::to_string(c.tape_before_calls.size()) +
                   " entries for " + std::to_string(k) + " calls");
    }
    Bytes previous = 0;
    for (std::size_t j = 0; j < c.tape_before_calls.size(); ++j) {
      const Bytes b = c.tape_before_calls[j];
      if (b < previous || b > c.tape_bytes) {
        bad_call(i, c.name,
                 "tape_before_calls[" + std::to_string(j) + "] = " + std::to_string(b) +
                     " is not in [" + std::to_string(previous) + ", tape_bytes " +
                     std::to_string(c.tape_bytes) + "] (the entries are cumulative)");
      }
      previous = b;
    }
  }
  // Occurrences (product of the iterations of the loops above) top-down, with the bound.
  occurrences_.assign(calls_.size(), 1);
  loop_advances_.assign(calls_.size(), 0);
  for (CallIndex i = 0; i < n; ++i) {
    const CallNode& c = calls_[index(i)];
    if (i > 0) {
      const CallIndex p = c.parent;
      occurrences_[index(i)] = occurrences_[index(p)] * iterations(p);  // checked at p
    }
    if (occurrences_[index(i)] > kMaxNestedIterations / iterations(i)) {
      bad_call(i, c.name,
               "the nested loops around and at this call run its body more than 2^62 times");
    }
    if (c.loop) {
      // The fewest snapshots give the most advances: checking them bounds every choice.
      const std::int64_t fewest = loop_min_snapshots(i);
      try {
        revolve_advances(c.loop->iterations, fewest);
        loop_advances_[index(i)] = revolve_advances(c.loop->iterations, c.loop->snapshots);
      } catch (const std::overflow_error&) {
        bad_call(i, c.name,
                 "Revolve over " + std::to_string(c.loop->iterations) + " iterations with " +
                     std::to_string(fewest) +
                     " snapshots needs more than 2^63 steps; give more snapshots");
      }
    }
  }
  // Bottom-up: plain body times, base time, and the all-split turn F and peak Q per call.
  body_time_.assign(calls_.size(), 0);
  std::vector<Bytes> turn(calls_.size(), 0);
  std::vector<Bytes> peak(calls_.size(), 0);
  for (CallIndex v = n - 1; v >= 0; --v) {
    const CallNode& c = calls_[index(v)];
    body_time_[index(v)] += c.time;
    const auto runs = static_cast<double>(occurrences_[index(v)] * iterations(v));
    base_time_ += runs * (c.record_time + c.adjoint_time);
    base_time_ += static_cast<double>(occurrences_[index(v)]) *
                  static_cast<double>(loop_advances_[index(v)]) * body_time_[index(v)];
    Bytes children = 0;
    Bytes q = 0;
    for (CallIndex j = 0; j < num_children(v); ++j) {
      const CallIndex ch = child(v, j);
      q = std::max(q, tape_before(v, j) + children + peak[index(ch)]);
      children += turn[index(ch)];
    }
    const Bytes slots = loop_live_snapshots(v) * c.snapshot_bytes;
    turn[index(v)] = slots + c.tape_bytes + children;
    peak[index(v)] = slots + std::max(q, c.tape_bytes + children);
    if (v > 0) {
      body_time_[index(c.parent)] += body_time_[index(v)] * static_cast<double>(iterations(v));
    }
  }
  total_tape_ = peak[0];
  by_name_.reserve(calls_.size());
  for (CallIndex i = 0; i < n; ++i) by_name_.emplace_back(calls_[index(i)].name, i);
  std::sort(by_name_.begin(), by_name_.end());
  for (std::size_t k = 1; k < by_name_.size(); ++k) {
    if (by_name_[k].first == by_name_[k - 1].first) {
      const CallIndex i = std::max(by_name_[k].second, by_name_[k - 1].second);
      bad_call(i, by_name_[k].first, "name repeated");
    }
  }
}

std::optional<CallIndex> CallTree::find(const std::string& name) const {
  const auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                                   [](const std::pair<std::string, CallIndex>& e,
                                      const std::string& key) { return e.first < key; });
  if (it == by_name_.end() || it->first != name) return std::nullopt;
  return it->second;
}

JointSet joint_set(const CallTree& tree, const std::vector<CallIndex>& joint) {
  JointSet set(static_cast<std::size_t>(tree.num_calls()), false);
  for (CallIndex i : joint) {
    if (i < 0 || i >= tree.num_calls()) {
      throw std::out_of_range("joint_set: call " + std::to_string(i) + " not in [0, " +
                              std::to_string(tree.num_calls()) + ")");
    }
    set[static_cast<std::size_t>(i)] = true;
  }
  return set;
}

std::vector<CallIndex> joint_calls(const JointSet& joint) {
  std::vector<CallIndex> out;
  for (std::size_t i = 0; i < joint.size(); ++i) {
    if (joint[i]) out.push_back(static_cast<CallIndex>(i));
  }
  return out;
}

CallTree with_loop_snapshots(const CallTree& tree, const std::vector<LoopChoice>& choices) {
  std::vector<CallNode> calls;
  calls.reserve(static_cast<std::size_t>(tree.num_calls()));
  for (CallIndex v = 0; v < tree.num_calls(); ++v) calls.push_back(tree.call(v));
  for (const LoopChoice& choice : choices) {
    if (choice.call < 0 || choice.call >= tree.num_calls()) {
      throw std::out_of_range("with_loop_snapshots: call " + std::to_string(choice.call) +
                              " not in [0, " + std::to_string(tree.num_calls()) + ")");
    }
    CallNode& c = calls[static_cast<std::size_t>(choice.call)];
    if (!c.loop) {
      throw std::invalid_argument("with_loop_snapshots: call '" + c.name + "' is not a loop");
    }
    const std::int64_t lo = tree.loop_min_snapshots(choice.call);
    if (choice.snapshots < lo || choice.snapshots > c.loop->snapshots) {
      throw std::invalid_argument("with_loop_snapshots: " + std::to_string(choice.snapshots) +
                                  " snapshots for loop '" + c.name + "', not in [" +
                                  std::to_string(lo) + ", " + std::to_string(c.loop->snapshots) +
                                  "]");
    }
    c.loop->snapshots = choice.snapshots;
    c.loop->min_snapshots = 0;
  }
  return CallTree(std::move(calls));
}

JointSet all_joint(const CallTree& tree) {
  JointSet set(static_cast<std::size_t>(tree.num_calls()), false);
  for (CallIndex i = 1; i < tree.num_calls(); ++i)
    set[static_cast<std::size_t>(i)] = tree.may_be_joint(i);
  return set;
}

void check_joint_set(const CallTree& tree, const JointSet& joint, const char* function) {
  if (static_cast<CallIndex>(joint.size()) != tree.num_calls()) {
    throw std::invalid_argument(std::string(function) + ": assignment of size " +
                                std::to_string(joint.size()) + " for " +
                                std::to_string(tree.num_calls()) + " calls");
  }
  if (joint[0]) throw std::invalid_argument(std::string(function) + ": the root cannot be joint");
  for (CallIndex i = 1; i < tree.num_calls(); ++i) {
    const bool j = joint[static_cast<std::size_t>(i)];
    if ((j && !tree.may_be_joint(i)) || (!j && !tree.may_be_split(i))) {
      throw std::invalid_argument(std::string(function) + ": call '" + tree.call(i).name +
                                  "' is pinned " + (j ? "split" : "joint"));
    }
  }
}

}  // namespace memsched
