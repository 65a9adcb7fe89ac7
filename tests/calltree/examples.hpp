// The worked example of docs/calltree.md, seeded random call trees and the JSON text of a tree,
// shared by the tests.
#pragma once

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "memsched/calltree/call_tree.hpp"
#include "memsched/calltree/io.hpp"

namespace memsched::test {

/// The JSON text write_calltree_json produces for `tree`, for comparisons.
inline std::string json_text(const CallTree& tree) {
  std::ostringstream out;
  write_calltree_json(out, tree);
  return out.str();
}

/// R calls A then B; A calls A1. f = t, b = 2t, snapshot times 0; own tape before the calls.
/// Indices R0 A1 A1_2 B3. Pareto front (extra time, peak): (0,100), (2,86), (6,70).
inline CallTree worked_example() {
  std::vector<CallNode> calls(4);
  auto set = [&](std::size_t i, const char* name, CallIndex parent, double t, Bytes tau, Bytes s) {
    calls[i].name = name;
    calls[i].parent = parent;
    calls[i].time = t;
    calls[i].record_time = t;
    calls[i].adjoint_time = 2 * t;
    calls[i].tape_bytes = tau;
    calls[i].snapshot_bytes = s;
  };
  set(0, "R", -1, 1, 10, 0);
  set(1, "A", 0, 4, 40, 8);
  set(2, "A1", 1, 2, 20, 6);
  set(3, "B", 0, 3, 30, 5);
  return CallTree(calls);
}

/// A random call tree of n calls: integer times (so sums are exact in double), random own-tape
/// prefixes, snapshots sometimes larger than the subtree's tape, and pins with `pin_percent`.
inline CallTree random_calltree(std::mt19937_64& rng, CallIndex n, int pin_percent = 10) {
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<CallNode> calls(static_cast<std::size_t>(n));
  std::vector<std::int64_t> kids(static_cast<std::size_t>(n), 0);
  for (CallIndex i = 0; i < n; ++i) {
    CallNode& c = calls[static_cast<std::size_t>(i)];
    c.name = "c" + std::to_string(i);
    c.parent = i == 0 ? -1 : uniform(0, i - 1);
    if (i > 0) ++kids[static_cast<std::size_t>(c.parent)];
    c.time = static_cast<double>(uniform(0, 6));
    c.record_time = c.time + static_cast<double>(uniform(0, 2));
    c.adjoint_time = 2 * c.time + static_cast<double>(uniform(0, 1));
    c.tape_bytes = uniform(0, 60);
    c.snapshot_bytes = uniform(0, 70);
    c.snapshot_write_time = static_cast<double>(uniform(0, 1));
    c.snapshot_read_time = static_cast<double>(uniform(0, 1));
    if (i > 0 && uniform(0, 99) < pin_percent) {
      c.pin = uniform(0, 1) == 0 ? CallPin::kJoint : CallPin::kSplit;
    }
  }
  for (CallIndex i = 0; i < n; ++i) {
    CallNode& c = calls[static_cast<std::size_t>(i)];
    const auto k = kids[static_cast<std::size_t>(i)];
    if (k == 0 || uniform(0, 2) == 0) continue;  // default: all of it before the first call
    Bytes previous = 0;
    for (std::int64_t j = 0; j < k; ++j) {
      previous = uniform(previous, c.tape_bytes);
      c.tape_before_calls.push_back(previous);
    }
  }
  return CallTree(calls);
}

/// `tree` with about `loop_percent` of its calls (the root included) made loop nodes of 1 to
/// `max_iterations` iterations and 1 to `max_snapshots` Revolve slots; with `ranges`, half of
/// them let the planners choose the slot count down to a random minimum.
inline CallTree with_loops(std::mt19937_64& rng, const CallTree& tree, int loop_percent,
                           std::int64_t max_iterations = 5, std::int64_t max_snapshots = 4,
                           bool ranges = false) {
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<CallNode> calls;
  for (CallIndex v = 0; v < tree.num_calls(); ++v) {
    calls.push_back(tree.call(v));
    if (uniform(0, 99) < loop_percent) {
      calls.back().loop = CallLoop{uniform(1, max_iterations), uniform(1, max_snapshots), 0};
      if (ranges && uniform(0, 1) == 0) {
        calls.back().loop->min_snapshots = uniform(1, calls.back().loop->snapshots);
      }
    }
  }
  return CallTree(calls);
}

}  // namespace memsched::test
