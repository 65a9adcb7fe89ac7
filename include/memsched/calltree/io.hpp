// Reading and writing call trees as nested JSON, one object per call.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "memsched/calltree/call_tree.hpp"

namespace memsched {

/// The largest call-tree file read_calltree_file accepts (64 MiB, over a million calls);
/// larger files are refused before they are read, which bounds the parser's memory.
inline constexpr std::int64_t kMaxCallTreeFileBytes = std::int64_t{1} << 26;

/// The deepest nesting read_calltree_json accepts (10,000 calls).
inline constexpr std::int64_t kMaxCallTreeDepth = 10000;

/// Parses a call tree: one JSON object per call, nested through "calls":
///
///     {"id": "R", "time": 1, "tape_bytes": 10, "calls": [
///       {"id": "A", "time": 4, "tape_bytes": 40, "snapshot_bytes": 8, "calls": [...]}]}
///
/// Keys: "id" (string or integer, required, unique), "time" (required), "record_time"
/// (default time), "adjoint_time" (default 2 x time), "tape_bytes" (default 0),
/// "tape_before_calls" (cumulative bytes of own tape pushed before each call, one entry per
/// call; default: all of it before the first call), "snapshot_bytes" (default 0),
/// "snapshot_write_time" and "snapshot_read_time" (default 0), "pin" ("joint", "split" or
/// absent), "site" (the static call site, for profiles; default: the id), "loop" (a loop
/// node: {"iterations": N, "snapshots": S}, integers in [1, 2^40], and optionally
/// "min_snapshots" in [1, S] to let the planners choose S; the call's own fields and calls are
/// one iteration, reversed by Revolve with S slots of snapshot_bytes each), "calls"
/// (default none). Other keys are refused, so typos do not pass silently.
/// Calls are numbered in pre-order (the root is 0).
///
/// Throws ParseError for malformed JSON (with line and column), a missing or mistyped key, a
/// negative size, a non-integral byte count, nesting deeper than kMaxCallTreeDepth; and
/// std::invalid_argument (from CallTree) for a repeated id and the other model rules.
/// Memory O(size of the text).
CallTree read_calltree_json(std::string_view text);

/// Writes the JSON read by read_calltree_json, every key written out, on one line.
void write_calltree_json(std::ostream& out, const CallTree& tree);

/// Reads a whole file ("-": standard input, also limited) and parses it. Throws
/// std::runtime_error if it cannot be read, and std::length_error if it is larger than
/// kMaxCallTreeFileBytes (checked from the file size before reading).
CallTree read_calltree_file(const std::string& path);

}  // namespace memsched
