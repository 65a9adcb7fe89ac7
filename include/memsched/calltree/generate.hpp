// Random call trees for tests, benchmarks and the command-line tool.
#pragma once

#include <cstdint>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// Shape and sizes of a random call tree.
struct RandomCallTreeOptions {
  CallIndex num_calls = 100;    ///< number of calls, root included, in [1, kMaxCalls]
  std::uint64_t seed = 1;       ///< the same seed gives the same tree
  std::int64_t max_time = 100;  ///< own plain time of a call: an integer in [1, max_time]
  Bytes bytes_per_time = 1000;  ///< own tape = time x this, +-50 %
  int pin_percent = 0;          ///< share of calls pinned joint or split, in [0, 100]
};

/// A random call tree with the shape of a real adjoint's: each call picks its parent among the
/// recent calls (deep chains with bushy levels), integer times (so costs are exact), record
/// time = time, adjoint time = 2 x time, own tape proportional to time, own tape split at
/// random around the calls, and snapshots from a tenth to twice the call's own tape. Pre-order
/// numbering, names "c<index>". Deterministic for a seed (std::mt19937_64). Throws
/// std::invalid_argument for options out of range. O(n).
CallTree random_calltree(const RandomCallTreeOptions& options);

}  // namespace memsched
