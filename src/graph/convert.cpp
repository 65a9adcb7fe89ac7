// Conversions of chains, heterogeneous chains, join graphs and trees into the graph model.
#include "memsched/graph/convert.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace memsched::graph {

namespace {

constexpr std::int64_t kMaxConvertedNodes = std::int64_t{1} << 23;

void check_input_time(double input_time, const char* caller) {
  if (!std::isfinite(input_time) || input_time < 0) {
    throw std::invalid_argument(std::string(caller) + ": input_time must be finite and >= 0");
  }
}

}  // namespace

Graph graph_from_tree(const Tree& tree) {
  std::vector<GraphNode> nodes(static_cast<std::size_t>(tree.num_nodes()));
  std::vector<GraphEdge> edges;
  edges.reserve(nodes.size());
  for (NodeId i = 0; i < tree.num_nodes(); ++i) {
    GraphNode& node = nodes[static_cast<std::size_t>(i)];
    node.id = std::to_string(i);
    node.time = tree.work(i);
    node.bytes = tree.output_size(i);
    node.temp_bytes = tree.exec_memory(i);
    if (tree.parent(i) >= 0) {
      edges.push_back({static_cast<NodeIndex>(i), static_cast<NodeIndex>(tree.parent(i))});
    }
  }
  return Graph(std::move(nodes), edges);
}

Graph graph_from_chain(const Chain& chain, const ChainGraphOptions& options) {
  const Step n = chain.num_steps();
  if (n > kMaxConvertedNodes / 2) {
    throw std::invalid_argument("graph_from_chain: " + std::to_string(n) +
                                " steps, more than 2^22");
  }
  check_input_time(options.input_time, "graph_from_chain");
  if (options.state_bytes < 0 || options.adjoint_bytes < 0) {
    throw std::invalid_argument("graph_from_chain: sizes must be >= 0");
  }
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  const auto size = static_cast<std::size_t>(n);
  nodes.reserve(2 * size);
  // x_i has index i (0 <= i < n); y_i has index n + (n - 1 - i).
  for (Step i = 0; i < n; ++i) {
    const double time = i == 0 ? options.input_time : chain.forward_cost(i - 1);
    nodes.push_back({"x" + std::to_string(i), time, options.state_bytes, 0});
    if (i > 0) edges.push_back({static_cast<NodeIndex>(i - 1), static_cast<NodeIndex>(i)});
  }
  for (Step i = n - 1; i >= 0; --i) {
    const auto y = static_cast<NodeIndex>(n + (n - 1 - i));
    nodes.push_back({"y" + std::to_string(i), chain.forward_cost(i) + chain.adjoint_cost(i),
                     options.adjoint_bytes, 0});
    edges.push_back({static_cast<NodeIndex>(i), y});
    if (i < n - 1) edges.push_back({static_cast<NodeIndex>(y - 1), y});
  }
  return Graph(std::move(nodes), edges);
}

Graph graph_from_hetero(const HeteroChain& chain, double input_time) {
  check_input_time(input_time, "graph_from_hetero");
  const std::int64_t L = chain.num_stages();
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  // x_i: index i (0 <= i <= L); loss: L + 1; g_i: L + 2 + (L - 1 - i).
  nodes.push_back({"x0", input_time, chain.x(0), 0});
  for (std::int64_t i = 0; i < L; ++i) {
    const HeteroStage& stage = chain.stage(i);
    nodes.push_back(
        {"x" + std::to_string(i + 1), stage.forward_time, chain.tape(i), stage.recording_tmp()});
    edges.push_back({static_cast<NodeIndex>(i), static_cast<NodeIndex>(i + 1)});
  }
  const auto loss = static_cast<NodeIndex>(L + 1);
  nodes.push_back({"loss", chain.loss().time, chain.x(L), chain.loss().backward_tmp_bytes});
  edges.push_back({static_cast<NodeIndex>(L), loss});
  NodeIndex previous = loss;
  for (std::int64_t i = L - 1; i >= 0; --i) {
    const auto g = static_cast<NodeIndex>(nodes.size());
    const HeteroStage& stage = chain.stage(i);
    nodes.push_back(
        {"g" + std::to_string(i), stage.backward_time, chain.x(i), stage.backward_tmp_bytes});
    edges.push_back({previous, g});
    edges.push_back({static_cast<NodeIndex>(i + 1), g});
    edges.push_back({static_cast<NodeIndex>(i), g});
    previous = g;
  }
  return Graph(std::move(nodes), edges);
}

Graph graph_from_join(const JoinGraph& graph, Bytes state_bytes, double input_time) {
  check_input_time(input_time, "graph_from_join");
  if (state_bytes < 0) throw std::invalid_argument("graph_from_join: state_bytes must be >= 0");
  if (2 * graph.total_steps() + graph.num_branches() > kMaxConvertedNodes) {
    throw std::invalid_argument("graph_from_join: more than 2^23 nodes");
  }
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  auto add = [&](std::string id, double time, Bytes bytes) {
    nodes.push_back({std::move(id), time, bytes, 0});
    return static_cast<NodeIndex>(nodes.size() - 1);
  };
  const std::int32_t k = graph.num_branches();
  std::vector<std::vector<NodeIndex>> branch_state(static_cast<std::size_t>(k));
  for (std::int32_t b = 0; b < k; ++b) {
    const std::string prefix = "b" + std::to_string(b) + ".";
    auto& states = branch_state[static_cast<std::size_t>(b)];
    for (Step j = 0; j <= graph.branch_length(b); ++j) {
      states.push_back(
          add(prefix + "x" + std::to_string(j), j == 0 ? input_time : 1.0, state_bytes));
      if (j > 0) edges.push_back({states[states.size() - 2], states.back()});
    }
  }
  const Step H = graph.handle_length();
  std::vector<NodeIndex> handle_state(static_cast<std::size_t>(H), -1);  // h.x_i, i >= 1
  for (Step i = 1; i < H; ++i) {
    handle_state[static_cast<std::size_t>(i)] = add("h.x" + std::to_string(i), 1.0, state_bytes);
    if (i == 1) {
      for (const auto& states : branch_state) edges.push_back({states.back(), handle_state[1]});
    } else {
      edges.push_back({handle_state[static_cast<std::size_t>(i - 1)],
                       handle_state[static_cast<std::size_t>(i)]});
    }
  }
  NodeIndex next_adjoint = -1;
  for (Step i = H - 1; i >= 0; --i) {
    const NodeIndex y = add("h.y" + std::to_string(i), 2.0, 0);
    if (i >= 1) {
      edges.push_back({handle_state[static_cast<std::size_t>(i)], y});
    } else {
      for (const auto& states : branch_state) edges.push_back({states.back(), y});
    }
    if (next_adjoint >= 0) edges.push_back({next_adjoint, y});
    next_adjoint = y;
  }
  const NodeIndex join_adjoint = next_adjoint;
  for (std::int32_t b = 0; b < k; ++b) {
    const std::string prefix = "b" + std::to_string(b) + ".";
    const auto& states = branch_state[static_cast<std::size_t>(b)];
    NodeIndex next = join_adjoint;
    for (Step j = graph.branch_length(b) - 1; j >= 0; --j) {
      const NodeIndex y = add(prefix + "y" + std::to_string(j), 2.0, 0);
      edges.push_back({states[static_cast<std::size_t>(j)], y});
      edges.push_back({next, y});
      next = y;
    }
  }
  return Graph(std::move(nodes), edges);
}

}  // namespace memsched::graph
