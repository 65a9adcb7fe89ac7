// Reading and writing task trees: a plain node-list format and JSON.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

#include "memsched/tree/tree.hpp"

namespace memsched {

/// Reads the plain format: one node per line, `id parent output_size exec_memory work`,
/// separated by blanks; ids are 0..n-1 in any order, the root's parent is -1; `#` starts a
/// comment; blank lines are ignored. Sizes are non-negative integers (an integral decimal
/// such as `4.0` or `1e6` is accepted), work a finite non-negative number.
///
/// Throws ParseError (line, column) for malformed text, a missing or repeated id, and
/// std::invalid_argument (from Tree) for two roots, a cycle, or total memory over 2^62.
/// Memory is O(size of the text) whatever the numbers say. O(length).
Tree read_tree_text(std::string_view text);

/// Reads JSON: `{"nodes": [{"id": 0, "parent": -1, "output_size": 1, "exec_memory": 0,
/// "work": 1}, ...]}` (exec_memory and work optional, default 0 and 1). Same errors as
/// read_tree_text; JSON syntax errors become ParseError with line and column.
Tree read_tree_json(std::string_view text);

/// JSON if the first non-blank character is `{`, otherwise the plain format.
Tree read_tree(std::string_view text);

/// Writes the plain format, one line per node in id order, with a header comment.
void write_tree_text(std::ostream& out, const Tree& tree);
/// Writes the JSON format read by read_tree_json (one line).
void write_tree_json(std::ostream& out, const Tree& tree);

/// Largest tree text read_tree_file reads: 256 MiB (about 10^7 nodes).
inline constexpr std::size_t kMaxTreeTextBytes = std::size_t{256} << 20;

/// Reads a whole file (or standard input if path is "-") and reads it with read_tree.
/// Throws std::runtime_error, before allocating, if the file cannot be read, is a directory,
/// a device or a FIFO, or is larger than kMaxTreeTextBytes (read_input_file).
Tree read_tree_file(const std::string& path);

}  // namespace memsched
