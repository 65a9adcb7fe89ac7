// The general computation graph: a DAG of nodes with a time, an output size and a temporary
// size, in the node-output memory model (docs/graphs.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace memsched::graph {

/// A number of bytes (any unit of memory, the same for every node).
using Bytes = std::int64_t;

/// A node index of a Graph, from 0 to num_nodes() - 1, in the order the nodes were given.
using NodeIndex = std::int32_t;

/// The largest number of nodes a Graph accepts (2^24).
inline constexpr NodeIndex kMaxNodes = NodeIndex{1} << 24;
/// The largest number of edges a Graph accepts (2^27).
inline constexpr std::int64_t kMaxEdges = std::int64_t{1} << 27;
/// The largest output or temporary size of one node (2^50 bytes = 1 PiB).
inline constexpr Bytes kMaxNodeBytes = Bytes{1} << 50;
/// The largest sum of bytes + temp_bytes over all nodes (2^62): every peak and every sum a
/// planner forms fits in 64 bits.
inline constexpr Bytes kMaxTotalBytes = Bytes{1} << 62;

/// One node as given to the Graph constructor.
struct GraphNode {
  std::string id;        ///< unique, non-empty name (the file format's "id")
  double time = 1.0;     ///< time of one computation of the node, any unit, finite, >= 0
  Bytes bytes = 0;       ///< size of its output, resident until its last consumer has run
  Bytes temp_bytes = 0;  ///< temporary memory used only while it runs

  friend bool operator==(const GraphNode& a, const GraphNode& b) noexcept {
    return a.id == b.id && a.time == b.time && a.bytes == b.bytes && a.temp_bytes == b.temp_bytes;
  }
};

/// An edge producer -> consumer, by node index.
struct GraphEdge {
  NodeIndex from = 0;
  NodeIndex to = 0;

  friend bool operator==(const GraphEdge& a, const GraphEdge& b) noexcept {
    return a.from == b.from && a.to == b.to;
  }
};

/// A half-open range of node indices [begin, end) (predecessors or successors of a node).
struct NodeRange {
  const NodeIndex* first = nullptr;
  const NodeIndex* last = nullptr;
  const NodeIndex* begin() const noexcept { return first; }
  const NodeIndex* end() const noexcept { return last; }
  std::size_t size() const noexcept { return static_cast<std::size_t>(last - first); }
  bool empty() const noexcept { return first == last; }
};

/// A directed acyclic computation graph in the node-output model: node v reads the outputs of
/// its predecessors and produces one output of `bytes(v)` shared by all its successors. While v
/// runs, memory holds every resident output (its inputs among them) plus bytes(v) +
/// temp_bytes(v); an output may be freed once its last consumer has run; sinks (nodes without
/// successors) are the results and stay resident to the end.
///
/// The constructor validates once and throws std::invalid_argument naming the first fault: no
/// node, more than kMaxNodes nodes or kMaxEdges edges, an empty or repeated id, a time negative
/// or not finite, a size negative or above kMaxNodeBytes, total bytes above kMaxTotalBytes, an
/// unknown endpoint, a repeated edge, or a cycle (naming a node on it). O(n + E).
///
/// ```
/// Graph g({{"a", 1.0, 100, 0}, {"b", 2.0, 50, 10}}, {{"a", "b"}});  // a -> b
/// ```
class Graph {
 public:
  Graph(std::vector<GraphNode> nodes,
        const std::vector<std::pair<std::string, std::string>>& edges);
  Graph(std::vector<GraphNode> nodes, const std::vector<GraphEdge>& edges);

  NodeIndex num_nodes() const noexcept { return static_cast<NodeIndex>(nodes_.size()); }
  std::int64_t num_edges() const noexcept { return static_cast<std::int64_t>(pred_list_.size()); }

  /// Accessors do not check v: it must be in [0, num_nodes()).
  const GraphNode& node(NodeIndex v) const { return nodes_[at(v)]; }
  const std::string& id(NodeIndex v) const { return nodes_[at(v)].id; }
  double time(NodeIndex v) const { return nodes_[at(v)].time; }
  Bytes bytes(NodeIndex v) const { return nodes_[at(v)].bytes; }
  Bytes temp_bytes(NodeIndex v) const { return nodes_[at(v)].temp_bytes; }
  NodeRange predecessors(NodeIndex v) const {
    return {pred_list_.data() + pred_begin_[at(v)], pred_list_.data() + pred_begin_[at(v) + 1]};
  }
  NodeRange successors(NodeIndex v) const {
    return {succ_list_.data() + succ_begin_[at(v)], succ_list_.data() + succ_begin_[at(v) + 1]};
  }
  bool is_sink(NodeIndex v) const { return succ_begin_[at(v)] == succ_begin_[at(v) + 1]; }
  /// Sum of the predecessors' output sizes of v.
  Bytes input_bytes(NodeIndex v) const { return input_bytes_[at(v)]; }
  /// Memory while v runs if exactly its inputs are resident: input_bytes + bytes + temp_bytes.
  Bytes own_requirement(NodeIndex v) const { return input_bytes(v) + bytes(v) + temp_bytes(v); }

  /// The index of the node named `id`, or nullopt. O(log n).
  std::optional<NodeIndex> find(const std::string& id) const;
  /// The index of the node named `id`; throws std::out_of_range naming it if there is none.
  NodeIndex index_of(const std::string& id) const;

  /// A topological order (every node after its predecessors), fixed at construction: among
  /// ready nodes the smallest index first.
  const std::vector<NodeIndex>& topological_order() const noexcept { return topological_; }
  /// The sinks, increasing.
  const std::vector<NodeIndex>& sinks() const noexcept { return sinks_; }
  /// Sum of the output sizes of the sinks (resident at the end of every schedule).
  Bytes sink_bytes() const noexcept { return sink_bytes_; }
  /// Sum of all times: one computation of every node.
  double total_time() const noexcept { return total_time_; }

  const std::vector<GraphNode>& nodes() const noexcept { return nodes_; }
  /// The edges, grouped by consumer in input order of their producers.
  std::vector<GraphEdge> edges() const;

  friend bool operator==(const Graph& a, const Graph& b) noexcept;

 private:
  static std::size_t at(NodeIndex v) { return static_cast<std::size_t>(v); }

  std::vector<GraphNode> nodes_;
  std::vector<std::int64_t> pred_begin_, succ_begin_;  // CSR offsets, size n + 1
  std::vector<NodeIndex> pred_list_, succ_list_;
  std::vector<Bytes> input_bytes_;
  std::vector<NodeIndex> topological_;
  std::vector<NodeIndex> sinks_;
  std::vector<std::pair<std::string, NodeIndex>> sorted_ids_;  // for find(), by id
  Bytes sink_bytes_ = 0;
  double total_time_ = 0.0;
};

}  // namespace memsched::graph
