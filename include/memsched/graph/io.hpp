// Graph files: the JSON format {"nodes": [{"id", "time", "bytes", "temp_bytes"}], "edges": [[a,
// b]]}.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "memsched/graph/graph.hpp"

namespace memsched::graph {

/// The largest graph file accepted (256 MiB), checked before reading.
inline constexpr std::size_t kMaxGraphFileBytes = std::size_t{256} << 20;

/// Parses a graph in JSON: `{"nodes": [{"id": "a", "time": 1.5, "bytes": 100, "temp_bytes": 0},
/// ...], "edges": [["a", "b"], ...]}`. `time` defaults to 1, `temp_bytes` to 0, `edges` to none;
/// ids are strings (a number is taken as its decimal text); sizes are whole numbers of bytes.
/// Also accepted, ignored: a top-level "name" and "format". Throws memsched::ParseError: with the
/// line and column of malformed JSON, or naming the node or edge at fault (line 1) for a wrong
/// key, type or value, a graph the Graph constructor rejects (cycle, repeated id, ...), or input
/// above kMaxGraphFileBytes.
Graph read_graph_json(std::string_view text);

/// Reads a graph file (read_graph_json); "-" reads standard input. Throws std::runtime_error if
/// the file cannot be opened or is above kMaxGraphFileBytes (checked before reading), ParseError
/// on bad content.
Graph read_graph_file(const std::string& path);

/// Writes the graph in the JSON format of read_graph_json, one node or edge per line; times
/// are printed so that they read back exactly.
void write_graph_json(std::ostream& out, const Graph& graph);

}  // namespace memsched::graph
