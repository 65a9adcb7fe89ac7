// Graph JSON files, parsed defensively: hostile input gives a ParseError, never a crash.
#include "memsched/graph/io.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "memsched/errors.hpp"
#include "util/json_text.hpp"

namespace memsched::graph {

namespace {

using Json = nlohmann::json;
constexpr int kMaxDepth = 16;

using detail::check_json_depth;
using detail::text_position;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ParseError("graph JSON: " + where + ": " + message, 1);
}

Bytes get_bytes(const Json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return -1;
  if (it->is_number_integer() || it->is_number_unsigned()) {
    if (!it->is_number_unsigned() && it->get<std::int64_t>() < 0) {
      fail(where, std::string("\"") + key + "\" must be >= 0");
    }
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(kMaxNodeBytes)) {
      fail(where, std::string("\"") + key + "\" is above 2^50 bytes");
    }
    return static_cast<Bytes>(value);
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::isfinite(v) && v >= 0 && v <= static_cast<double>(kMaxNodeBytes) &&
        v == std::floor(v)) {
      return static_cast<Bytes>(v);
    }
    fail(where, std::string("\"") + key + "\" must be a whole number of bytes in [0, 2^50]");
  }
  fail(where, std::string("\"") + key + "\" must be a number");
}

std::string get_id(const Json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  fail(where, "an id must be a string or an integer");
}

}  // namespace

Graph read_graph_json(std::string_view text) {
  if (text.size() > kMaxGraphFileBytes) throw ParseError("graph JSON larger than 256 MiB", 1);
  check_json_depth(text, kMaxDepth, "graph JSON");
  const Json doc = detail::parse_json(text, "malformed JSON");
  if (!doc.is_object()) fail("document", "must be an object with \"nodes\" and \"edges\"");
  for (const auto& item : doc.items()) {
    if (item.key() != "nodes" && item.key() != "edges" && item.key() != "name" &&
        item.key() != "format") {
      fail("document", "unknown key \"" + item.key() + "\"");
    }
  }
  const auto nodes_it = doc.find("nodes");
  if (nodes_it == doc.end() || !nodes_it->is_array())
    fail("document", "\"nodes\" must be an array");
  if (nodes_it->size() > static_cast<std::size_t>(kMaxNodes))
    fail("document", "more than 2^24 nodes");
  std::vector<GraphNode> nodes;
  nodes.reserve(nodes_it->size());
  for (std::size_t i = 0; i < nodes_it->size(); ++i) {
    const Json& item = (*nodes_it)[i];
    const std::string where = "node " + std::to_string(i);
    if (!item.is_object()) fail(where, "must be an object");
    for (const auto& field : item.items()) {
      const std::string& key = field.key();
      if (key != "id" && key != "time" && key != "bytes" && key != "temp_bytes" && key != "name") {
        fail(where, "unknown key \"" + key + "\"");
      }
    }
    GraphNode node;
    const auto id_it = item.find("id");
    if (id_it == item.end()) fail(where, "missing \"id\"");
    node.id = get_id(*id_it, where);
    const auto time_it = item.find("time");
    if (time_it != item.end()) {
      if (!time_it->is_number()) fail(where, "\"time\" must be a number");
      node.time = time_it->get<double>();
      if (!std::isfinite(node.time) || node.time < 0) {
        fail(where, "\"time\" must be finite and >= 0");
      }
    }
    node.bytes = get_bytes(item, "bytes", where);
    if (node.bytes < 0) fail(where, "missing \"bytes\"");
    node.temp_bytes = std::max<Bytes>(0, get_bytes(item, "temp_bytes", where));
    nodes.push_back(std::move(node));
  }
  std::vector<std::pair<std::string, std::string>> edges;
  const auto edges_it = doc.find("edges");
  if (edges_it != doc.end()) {
    if (!edges_it->is_array()) fail("document", "\"edges\" must be an array");
    if (edges_it->size() > static_cast<std::size_t>(kMaxEdges))
      fail("document", "more than 2^27 edges");
    edges.reserve(edges_it->size());
    for (std::size_t i = 0; i < edges_it->size(); ++i) {
      const Json& item = (*edges_it)[i];
      const std::string where = "edge " + std::to_string(i);
      if (!item.is_array() || item.size() != 2) fail(where, "must be a pair [producer, consumer]");
      edges.emplace_back(get_id(item[0], where), get_id(item[1], where));
    }
  }
  try {
    return Graph(std::move(nodes), edges);
  } catch (const std::invalid_argument& e) {
    throw ParseError(std::string("graph JSON: ") + e.what(), 1);
  }
}

Graph read_graph_file(const std::string& path) {
  if (path == "-") {
    std::string text;
    char buffer[1 << 16];
    while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
      text.append(buffer, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > kMaxGraphFileBytes) {
        throw std::runtime_error("standard input: graph larger than 256 MiB");
      }
    }
    return read_graph_json(text);
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open '" + path + "'");
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("cannot read '" + path + "'");
  if (static_cast<std::uint64_t>(size) > kMaxGraphFileBytes) {
    throw std::runtime_error("'" + path + "': graph file larger than 256 MiB");
  }
  in.seekg(0);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), size)) throw std::runtime_error("cannot read '" + path + "'");
  return read_graph_json(text);
}

void write_graph_json(std::ostream& out, const Graph& graph) {
  out << "{\"nodes\": [\n";
  for (NodeIndex v = 0; v < graph.num_nodes(); ++v) {
    const GraphNode& node = graph.node(v);
    Json item{{"id", node.id},
              {"time", node.time},
              {"bytes", node.bytes},
              {"temp_bytes", node.temp_bytes}};
    out << "  " << item.dump() << (v + 1 < graph.num_nodes() ? ",\n" : "\n");
  }
  out << "], \"edges\": [\n";
  const std::vector<GraphEdge> edges = graph.edges();
  for (std::size_t k = 0; k < edges.size(); ++k) {
    out << "  " << Json::array({graph.id(edges[k].from), graph.id(edges[k].to)}).dump()
        << (k + 1 < edges.size() ? ",\n" : "\n");
  }
  out << "]}\n";
}

}  // namespace memsched::graph
