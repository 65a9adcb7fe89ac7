// Helpers shared by the JSON readers (graph, heterogeneous chain, tree, call tree): error
// positions, a nesting check that runs before nlohmann builds its tree, and the parse itself
// with nlohmann's errors turned into ParseError.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
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

/// Parses `text` with nlohmann; a syntax error is a ParseError "<prefix>: <nlohmann's message
/// without its repeated position>" at the line and column of the offending byte, any other
/// nlohmann error (e.g. a number too large for a double) "<prefix>: <message>" at line 1.
inline nlohmann::json parse_json(std::string_view text, const std::string& prefix) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = text_position(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string message = e.what();
    if (const auto at = message.find("error: "); at != std::string::npos) {
      message = message.substr(at + 7);
    }
    throw ParseError(prefix + ": " + message, line, column);
  } catch (const nlohmann::json::exception& e) {
    throw ParseError(prefix + ": " + e.what(), 1);
  }
}

}  // namespace memsched::detail
