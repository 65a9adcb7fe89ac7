// Helpers shared by the JSON readers (graph, heterogeneous chain, tree, call tree): error
// positions and a nesting check that runs before nlohmann builds its tree.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "memsched/errors.hpp"

namespace memsched::detail {

/// Line and column (from 1) of byte `offset` of `text` (clamped to its end).
inline std::pair<std::int64_t, std::int64_t> text_position(std::string_view text,
                                                           std::size_t offset) {
  offset = std::min(offset, text.size());
  std::int64_t line = 1;
  std::int64_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

/// Throws ParseError "<what> nested deeper than <max_depth> levels" at the first bracket
/// beyond max_depth: nlohmann's parser and destructor recurse once per level, so hostile
/// nesting must be refused before it builds the tree.
inline void check_json_depth(std::string_view text, int max_depth, const std::string& what) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if ((c == '[' || c == '{') && ++depth > max_depth) {
      const auto [line, column] = text_position(text, k);
      throw ParseError(what + " nested deeper than " + std::to_string(max_depth) + " levels", line,
                       column);
    }
    if (c == ']' || c == '}') --depth;
  }
}

}  // namespace memsched::detail
