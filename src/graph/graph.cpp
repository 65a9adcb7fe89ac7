// The Graph model: validation (acyclic, unique ids, sane sizes) and adjacency in CSR form.
#include "memsched/graph/graph.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <stdexcept>

namespace memsched::graph {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("Graph: " + message);
}

std::string quoted(const std::string& id) {
  return "'" + (id.size() > 60 ? id.substr(0, 60) + "..." : id) + "'";
}

}  // namespace

Graph::Graph(std::vector<GraphNode> nodes,
             const std::vector<std::pair<std::string, std::string>>& edges)
    : nodes_(std::move(nodes)) {
  if (nodes_.empty()) fail("no node");
  if (nodes_.size() > static_cast<std::size_t>(kMaxNodes)) {
    fail(std::to_string(nodes_.size()) + " nodes, more than 2^24");
  }
  sorted_ids_.reserve(nodes_.size());
  for (std::size_t v = 0; v < nodes_.size(); ++v) {
    sorted_ids_.emplace_back(nodes_[v].id, static_cast<NodeIndex>(v));
  }
  std::sort(sorted_ids_.begin(), sorted_ids_.end());
  std::vector<GraphEdge> indexed;
  indexed.reserve(edges.size());
  for (const auto& [from, to] : edges) {
    const auto a = find(from), b = find(to);
    if (!a) fail("edge " + quoted(from) + " -> " + quoted(to) + ": unknown node " + quoted(from));
    if (!b) fail("edge " + quoted(from) + " -> " + quoted(to) + ": unknown node " + quoted(to));
    indexed.push_back({*a, *b});
  }
  *this = Graph(std::move(nodes_), indexed);
}

Graph::Graph(std::vector<GraphNode> nodes, const std::vector<GraphEdge>& edges)
    : nodes_(std::move(nodes)) {
  const std::size_t n = nodes_.size();
  if (n == 0) fail("no node");
  if (n > static_cast<std::size_t>(kMaxNodes)) fail(std::to_string(n) + " nodes, more than 2^24");
  if (edges.size() > static_cast<std::size_t>(kMaxEdges)) {
    fail(std::to_string(edges.size()) + " edges, more than 2^27");
  }
  Bytes total = 0;
  for (std::size_t v = 0; v < n; ++v) {
    const GraphNode& node = nodes_[v];
    const std::string where = "node " + std::to_string(v);
    if (node.id.empty()) fail(where + ": empty id");
    if (!std::isfinite(node.time) || node.time < 0) {
      fail(where + " " + quoted(node.id) + ": time " + std::to_string(node.time) +
           " is not a finite number >= 0");
    }
    if (node.bytes < 0 || node.bytes > kMaxNodeBytes) {
      fail(where + " " + quoted(node.id) + ": bytes " + std::to_string(node.bytes) +
           " is not in [0, 2^50]");
    }
    if (node.temp_bytes < 0 || node.temp_bytes > kMaxNodeBytes) {
      fail(where + " " + quoted(node.id) + ": temp_bytes " + std::to_string(node.temp_bytes) +
           " is not in [0, 2^50]");
    }
    total += node.bytes + node.temp_bytes;
    if (total > kMaxTotalBytes) fail("total bytes above 2^62");
    total_time_ += node.time;
  }
  if (sorted_ids_.size() != n) {
    sorted_ids_.clear();
    sorted_ids_.reserve(n);
    for (std::size_t v = 0; v < n; ++v) {
      sorted_ids_.emplace_back(nodes_[v].id, static_cast<NodeIndex>(v));
    }
    std::sort(sorted_ids_.begin(), sorted_ids_.end());
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (sorted_ids_[k].first == sorted_ids_[k - 1].first) {
      fail("node " + std::to_string(sorted_ids_[k].second) + ": id " +
           quoted(sorted_ids_[k].first) + " repeats node " +
           std::to_string(sorted_ids_[k - 1].second));
    }
  }

  // CSR adjacency; edges are checked for range and repetition.
  pred_begin_.assign(n + 1, 0);
  succ_begin_.assign(n + 1, 0);
  for (const GraphEdge& e : edges) {
    if (e.from < 0 || static_cast<std::size_t>(e.from) >= n || e.to < 0 ||
        static_cast<std::size_t>(e.to) >= n) {
      fail("edge " + std::to_string(e.from) + " -> " + std::to_string(e.to) +
           ": node index out of range");
    }
    ++pred_begin_[at(e.to) + 1];
    ++succ_begin_[at(e.from) + 1];
  }
  for (std::size_t v = 0; v < n; ++v) {
    pred_begin_[v + 1] += pred_begin_[v];
    succ_begin_[v + 1] += succ_begin_[v];
  }
  pred_list_.resize(edges.size());
  succ_list_.resize(edges.size());
  {
    std::vector<std::int64_t> pred_fill(pred_begin_.begin(), pred_begin_.end() - 1);
    std::vector<std::int64_t> succ_fill(succ_begin_.begin(), succ_begin_.end() - 1);
    for (const GraphEdge& e : edges) {
      pred_list_[static_cast<std::size_t>(pred_fill[at(e.to)]++)] = e.from;
      succ_list_[static_cast<std::size_t>(succ_fill[at(e.from)]++)] = e.to;
    }
  }
  input_bytes_.assign(n, 0);
  for (std::size_t v = 0; v < n; ++v) {
    const NodeRange preds = predecessors(static_cast<NodeIndex>(v));
    std::vector<NodeIndex> sorted(preds.begin(), preds.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      if (k > 0 && sorted[k] == sorted[k - 1]) {
        fail("edge " + quoted(nodes_[at(sorted[k])].id) + " -> " + quoted(nodes_[v].id) +
             " given twice");
      }
      input_bytes_[v] += nodes_[at(sorted[k])].bytes;
    }
  }

  // Kahn's algorithm, smallest ready index first, so the order is deterministic.
  std::vector<std::int64_t> missing(n);
  std::priority_queue<NodeIndex, std::vector<NodeIndex>, std::greater<>> ready;
  for (std::size_t v = 0; v < n; ++v) {
    missing[v] = pred_begin_[v + 1] - pred_begin_[v];
    if (missing[v] == 0) ready.push(static_cast<NodeIndex>(v));
  }
  topological_.reserve(n);
  while (!ready.empty()) {
    const NodeIndex v = ready.top();
    ready.pop();
    topological_.push_back(v);
    for (NodeIndex w : successors(v)) {
      if (--missing[at(w)] == 0) ready.push(w);
    }
  }
  if (topological_.size() != n) {
    // Walk back through unfinished predecessors: after n steps the walk is on a cycle.
    NodeIndex v = 0;
    while (missing[at(v)] == 0) ++v;
    for (std::size_t step = 0; step < n; ++step) {
      for (NodeIndex u : predecessors(v)) {
        if (missing[at(u)] > 0) {
          v = u;
          break;
        }
      }
    }
    fail("cycle through node " + quoted(nodes_[at(v)].id));
  }
  for (std::size_t v = 0; v < n; ++v) {
    if (is_sink(static_cast<NodeIndex>(v))) {
      sinks_.push_back(static_cast<NodeIndex>(v));
      sink_bytes_ += nodes_[v].bytes;
    }
  }
}

std::optional<NodeIndex> Graph::find(const std::string& id) const {
  const auto it = std::lower_bound(sorted_ids_.begin(), sorted_ids_.end(), id,
                                   [](const std::pair<std::string, NodeIndex>& entry,
                                      const std::string& key) { return entry.first < key; });
  if (it == sorted_ids_.end() || it->first != id) return std::nullopt;
  return it->second;
}

NodeIndex Graph::index_of(const std::string& id) const {
  const auto v = find(id);
  if (!v) throw std::out_of_range("Graph::index_of: no node " + quoted(id));
  return *v;
}

std::vector<GraphEdge> Graph::edges() const {
  std::vector<GraphEdge> out;
  out.reserve(pred_list_.size());
  for (NodeIndex v = 0; v < num_nodes(); ++v) {
    for (NodeIndex u : predecessors(v)) out.push_back({u, v});
  }
  return out;
}

bool operator==(const Graph& a, const Graph& b) noexcept {
  return a.nodes_ == b.nodes_ && a.pred_begin_ == b.pred_begin_ && a.pred_list_ == b.pred_list_;
}

}  // namespace memsched::graph
