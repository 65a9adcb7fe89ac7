// Parsers and writers for the plain and JSON tree formats, hardened against hostile input.
#include "memsched/tree/io.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "memsched/errors.hpp"
#include "memsched/input.hpp"
#include "util/json_text.hpp"

namespace memsched {

namespace {

// Largest double that converts exactly to int64 range checks below (2^62, kMaxTotalMemory).
constexpr double kMaxSizeAsDouble = 4611686018427387904.0;

bool parse_memory(std::string_view token, Memory& value) {
  const char* first = token.data();
  const char* last = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc() && ptr == last) return true;
  double d = 0;
  auto [dptr, dec] = std::from_chars(first, last, d);
  if (dec != std::errc() || dptr != last || !std::isfinite(d) || d != std::floor(d) ||
      std::fabs(d) > kMaxSizeAsDouble) {
    return false;
  }
  value = static_cast<Memory>(d);
  return true;
}

bool parse_work(std::string_view token, double& value) {
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  return ec == std::errc() && ptr == token.data() + token.size() && std::isfinite(value);
}

struct Entry {
  NodeId id;
  TreeNode node;
  std::int64_t line;
};

// Checks that ids are exactly 0..n-1 and builds the tree in id order. For JSON, Entry::line
// holds the entry index + 1 and errors name the entry instead of a line.
[[noreturn]] void entry_error(const Entry& e, bool json, const std::string& message) {
  if (json) throw ParseError("tree: nodes[" + std::to_string(e.line - 1) + "]: " + message, 1);
  throw ParseError("tree: " + message, e.line, 1);
}

Tree build(std::vector<Entry>& entries, bool json) {
  if (entries.empty()) throw ParseError("tree: no nodes", 1);
  const auto n = static_cast<NodeId>(entries.size());
  std::vector<std::int64_t> line_of(entries.size(), 0);
  std::vector<TreeNode> nodes(entries.size());
  for (const Entry& e : entries) {
    if (e.id < 0 || e.id >= n) {
      entry_error(e, json,
                  "id " + std::to_string(e.id) + " out of range 0.." + std::to_string(n - 1) +
                      " (ids must be 0..n-1)");
    }
    const auto i = static_cast<std::size_t>(e.id);
    if (line_of[i] != 0) {
      entry_error(e, json, "id " + std::to_string(e.id) + " repeated");
    }
    line_of[i] = e.line;
    nodes[i] = e.node;
  }
  return Tree(std::move(nodes));
}

}  // namespace

Tree read_tree_text(std::string_view text) {
  std::vector<Entry> entries;
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::string_view tokens[5];
    std::int64_t columns[5] = {};
    int count = 0;
    std::size_t i = 0;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (i < line.size()) {
      while (i < line.size() && blank(line[i])) ++i;
      if (i >= line.size()) break;
      const std::size_t start = i;
      while (i < line.size() && !blank(line[i])) ++i;
      if (count == 5) {
        throw ParseError("tree: more than 5 fields (id parent output_size exec_memory work)",
                         line_number, static_cast<std::int64_t>(start) + 1);
      }
      columns[count] = static_cast<std::int64_t>(start) + 1;
      tokens[count++] = line.substr(start, i - start);
    }
    if (count == 0) continue;
    if (count != 5) {
      throw ParseError("tree: expected 5 fields (id parent output_size exec_memory work), got " +
                           std::to_string(count),
                       line_number);
    }
    Entry e{};
    e.line = line_number;
    const char* names[4] = {"id", "parent", "output_size", "exec_memory"};
    Memory values[4] = {};
    for (int k = 0; k < 4; ++k) {
      if (!parse_memory(tokens[k], values[k])) {
        throw ParseError("tree: bad " + std::string(names[k]) + " '" +
                             std::string(tokens[k].substr(0, 40)) + "'",
                         line_number, columns[k]);
      }
    }
    if (!parse_work(tokens[4], e.node.work)) {
      throw ParseError("tree: bad work '" + std::string(tokens[4].substr(0, 40)) + "'", line_number,
                       columns[4]);
    }
    e.id = values[0];
    e.node.parent = values[1];
    e.node.output_size = values[2];
    e.node.exec_memory = values[3];
    for (int k = 2; k < 4; ++k) {
      if (values[k] < 0)
        throw ParseError("tree: negative " + std::string(names[k]), line_number, columns[k]);
    }
    if (e.node.work < 0) throw ParseError("tree: negative work", line_number, columns[4]);
    entries.push_back(e);
  }
  return build(entries, false);
}

namespace {

using detail::text_position;

Memory json_memory(const nlohmann::json& node, const char* key, Memory fallback, bool required,
                   std::int64_t index) {
  const std::string where = "tree: nodes[" + std::to_string(index) + "]." + key;
  const auto it = node.find(key);
  if (it == node.end()) {
    if (required) throw ParseError(where + " missing", 1);
    return fallback;
  }
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<Memory>::max())) {
      throw ParseError(where + " too large", 1);
    }
    return it->get<Memory>();
  }
  if (it->is_number_float()) {
    Memory value = 0;
    const double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kMaxSizeAsDouble) {
      value = static_cast<Memory>(d);
      return value;
    }
  }
  throw ParseError(where + " is not an integer", 1);
}

}  // namespace

Tree read_tree_json(std::string_view text) {
  const nlohmann::json doc = detail::parse_json(text, "tree JSON");
  if (!doc.is_object() || !doc.contains("nodes") || !doc["nodes"].is_array()) {
    throw ParseError("tree JSON: expected an object with a \"nodes\" array", 1);
  }
  std::vector<Entry> entries;
  const auto& nodes = doc["nodes"];
  entries.reserve(nodes.size());
  std::int64_t index = 0;
  for (const auto& node : nodes) {
    if (!node.is_object()) {
      throw ParseError("tree JSON: nodes[" + std::to_string(index) + "] is not an object", 1);
    }
    Entry e{};
    e.line = index + 1;  // no line numbers after parsing: report the entry index instead
    e.id = json_memory(node, "id", 0, true, index);
    e.node.parent = json_memory(node, "parent", 0, true, index);
    e.node.output_size = json_memory(node, "output_size", 0, true, index);
    e.node.exec_memory = json_memory(node, "exec_memory", 0, false, index);
    e.node.work = 1.0;
    if (const auto it = node.find("work"); it != node.end()) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
        throw ParseError("tree: nodes[" + std::to_string(index) +
                             "].work is not a finite "
                             "non-negative number",
                         1);
      }
      e.node.work = it->get<double>();
    }
    if (e.node.output_size < 0 || e.node.exec_memory < 0) {
      throw ParseError("tree: nodes[" + std::to_string(index) + "] has a negative size", 1);
    }
    entries.push_back(e);
    ++index;
  }
  return build(entries, true);
}

Tree read_tree(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '{') return read_tree_json(text);
    break;
  }
  return read_tree_text(text);
}

void write_tree_text(std::ostream& out, const Tree& tree) {
  const std::streamsize precision = out.precision();
  out << "# memsched tree: id parent output_size exec_memory work\n";
  out.precision(17);
  for (NodeId i = 0; i < tree.num_nodes(); ++i) {
    out << i << ' ' << tree.parent(i) << ' ' << tree.output_size(i) << ' ' << tree.exec_memory(i)
        << ' ' << tree.work(i) << '\n';
  }
  out.precision(precision);
}

void write_tree_json(std::ostream& out, const Tree& tree) {
  nlohmann::json nodes = nlohmann::json::array();
  for (NodeId i = 0; i < tree.num_nodes(); ++i) {
    nodes.push_back({{"id", i},
                     {"parent", tree.parent(i)},
                     {"output_size", tree.output_size(i)},
                     {"exec_memory", tree.exec_memory(i)},
                     {"work", tree.work(i)}});
  }
  out << nlohmann::json{{"nodes", nodes}}.dump() << "\n";
}

Tree read_tree_file(const std::string& path) {
  return read_tree(read_input_file(path, kMaxTreeTextBytes, "tree"));
}

}  // namespace memsched
