// Series-parallel graphs: recognition by series and parallel reductions, and the minimum-peak
// algorithm of Kayaaslan, Lambert, Marchal & Uçar (TCS 2018) on designated edge weights.
#include "memsched/graph/series_parallel.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "memsched/graph/simulate.hpp"

namespace memsched::graph {

namespace {

std::size_t at(std::int64_t v) { return static_cast<std::size_t>(v); }

// ---- recognition ------------------------------------------------------------------------------

// A multigraph reduced by series reductions (a vertex with one edge in and one out, not a
// terminal, becomes one edge) and parallel reductions (two edges with the same ends become
// one). Each live edge carries the decomposition-tree node it stands for.
class Reducer {
 public:
  explicit Reducer(std::int32_t num_vertices) : out_(at(num_vertices)), in_(at(num_vertices)) {}

  void add(std::int32_t from, std::int32_t to, std::int32_t tree) {
    auto& out = out_[at(from)];
    const auto it = out.find(to);
    if (it == out.end()) {
      out.emplace(to, tree);
      in_[at(to)].emplace(from, tree);
      ++live_;
      return;
    }
    const std::int32_t merged = compose(SpNode::Kind::kParallel, it->second, tree);
    it->second = merged;
    in_[at(to)][from] = merged;
    queue_.push_back(from);  // degrees dropped by one: maybe reducible now
    queue_.push_back(to);
  }

  // Runs every reduction; true if one edge source -> target is left.
  bool reduce(std::int32_t source, std::int32_t target) {
    for (std::int32_t v = 0; v < static_cast<std::int32_t>(out_.size()); ++v) queue_.push_back(v);
    while (!queue_.empty()) {
      const std::int32_t v = queue_.back();
      queue_.pop_back();
      if (v == source || v == target) continue;
      auto& in = in_[at(v)];
      auto& out = out_[at(v)];
      if (in.size() != 1 || out.size() != 1) continue;
      const auto [a, first] = *in.begin();
      const auto [b, second] = *out.begin();
      in.clear();
      out.clear();
      out_[at(a)].erase(v);
      in_[at(b)].erase(v);
      live_ -= 2;
      add(a, b, compose(SpNode::Kind::kSeries, first, second));
      queue_.push_back(a);
      queue_.push_back(b);
    }
    if (live_ != 1 || out_[at(source)].size() != 1 || out_[at(source)].count(target) == 0) {
      return false;
    }
    root_ = out_[at(source)].at(target);
    return true;
  }

  std::int32_t leaf(std::int32_t from, std::int32_t to) {
    nodes_.push_back({SpNode::Kind::kEdge, from, to, {}});
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }

  std::vector<SpNode> take_nodes() { return std::move(nodes_); }
  std::int32_t root() const { return root_; }

 private:
  // A series or parallel node of a and b, flattened: a node of the same kind is extended in
  // place (nothing else refers to it), so a long chain costs linear time.
  std::int32_t compose(SpNode::Kind kind, std::int32_t a, std::int32_t b) {
    std::int32_t target = a;
    if (nodes_[at(a)].kind != kind) {
      nodes_.push_back({kind, nodes_[at(a)].source, nodes_[at(a)].target, {a}});
      target = static_cast<std::int32_t>(nodes_.size() - 1);
    }
    if (nodes_[at(b)].kind == kind) {
      std::vector<std::int32_t> children = std::move(nodes_[at(b)].children);
      nodes_[at(b)].children.clear();
      auto& into = nodes_[at(target)].children;
      into.insert(into.end(), children.begin(), children.end());
    } else {
      nodes_[at(target)].children.push_back(b);
    }
    if (kind == SpNode::Kind::kSeries) nodes_[at(target)].target = nodes_[at(b)].target;
    return target;
  }

  std::vector<std::map<std::int32_t, std::int32_t>> out_, in_;
  std::vector<std::int32_t> queue_;
  std::vector<SpNode> nodes_;
  std::int64_t live_ = 0;
  std::int32_t root_ = -1;
};

// ---- the algorithm in the edge model ----------------------------------------------------------

// Vertices of the split graph: node v becomes 2v (v_in) and 2v + 1 (v_out), joined by an edge
// that holds v's designated inputs, temporary and output while it runs.
using Item = std::int32_t;

// What a component's optimal schedule is: its internal vertices before and after its minimum
// cut, and the cut values at its start, at the minimum and at its end.
struct Part {
  std::vector<Item> before, after;
  Bytes initial = 0, mincut = 0, final = 0;
};

// Liu's merge of independent sequences (Liu, "An application of generalized tree pebbling to
// sparse matrix factorization", SIAM J. Algebraic Discrete Methods 8(3), 1987): cut each
// sequence into segments from the current point to its last highest point (hill) and on to the
// last lowest point after it (valley); hill - valley strictly decreases along a sequence; emit
// the segments of all sequences by decreasing hill - valley. `sign` is -1 to merge reversed
// sequences (the out-tree side of the cut, run backwards).
std::vector<Item> liu_merge(const std::vector<std::vector<Item>>& sequences,
                            const std::vector<Bytes>& delta, int sign) {
  struct Segment {
    std::size_t end;  // one past its last item
    Bytes key;        // hill - valley
  };
  std::vector<std::vector<Segment>> segments(sequences.size());
  std::size_t total = 0;
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    const auto& seq = sequences[s];
    total += seq.size();
    std::vector<Bytes> level(seq.size() + 1, 0);
    for (std::size_t i = 0; i < seq.size(); ++i) level[i + 1] = level[i] + sign * delta[at(seq[i])];
    // Last position of the highest and of the lowest level from position i on.
    const std::size_t m = seq.size();
    std::vector<std::size_t> highest(m + 1, m), lowest(m + 1, m);
    for (std::size_t i = m; i-- > 0;) {
      highest[i] = level[i] > level[highest[i + 1]] ? i : highest[i + 1];
      lowest[i] = level[i] < level[lowest[i + 1]] ? i : lowest[i + 1];
    }
    std::size_t p = 0;
    while (p < m) {
      const std::size_t hill = highest[p + 1];
      const std::size_t valley = lowest[hill];
      segments[s].push_back({valley, level[hill] - level[valley]});
      p = valley;
    }
  }
  using Head = std::tuple<Bytes, std::size_t, std::size_t>;  // key, -sequence, segment
  std::priority_queue<Head> heads;
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    if (!segments[s].empty()) heads.push({segments[s][0].key, s, 0});
  }
  std::vector<Item> merged;
  merged.reserve(total);
  while (!heads.empty()) {
    const auto [key, s, k] = heads.top();
    heads.pop();
    const std::size_t begin = k == 0 ? 0 : segments[s][k - 1].end;
    for (std::size_t i = begin; i < segments[s][k].end; ++i) merged.push_back(sequences[s][i]);
    if (k + 1 < segments[s].size()) heads.push({segments[s][k + 1].key, s, k + 1});
  }
  return merged;
}

struct EdgeModel {
  const Graph& graph;
  const SpDecomposition& sp;
  std::vector<std::int32_t> designated;  // per node: the consumer charged with its bytes
  std::vector<Bytes> delta;              // per split vertex: out-weight minus in-weight
  std::vector<Bytes> split_weight;       // per node: weight of v_in -> v_out

  Bytes edge_weight(std::int32_t from, std::int32_t to) const {
    if (from == sp.virtual_source) return 0;
    return designated[at(from)] == to ? graph.bytes(from) : 0;
  }

  void set_weights() {
    const auto n = static_cast<std::size_t>(graph.num_nodes());
    std::vector<Bytes> designated_in(n, 0);
    for (std::size_t v = 0; v < n; ++v) {
      const std::int32_t d = designated[v];
      if (d != sp.virtual_target) designated_in[at(d)] += graph.bytes(static_cast<NodeIndex>(v));
    }
    delta.assign(2 * n, 0);
    split_weight.assign(n, 0);
    for (std::size_t v = 0; v < n; ++v) {
      const auto node = static_cast<NodeIndex>(v);
      const Bytes own = graph.bytes(node) + graph.temp_bytes(node);
      split_weight[v] = designated_in[v] + own;
      delta[2 * v] = own;                                             // v_in
      delta[2 * v + 1] = -designated_in[v] - graph.temp_bytes(node);  // v_out
    }
  }

  // The optimal schedule of the whole graph (Kayaaslan et al., TCS 2018), bottom-up over the
  // decomposition tree without recursion.
  Part solve() const {
    std::vector<Part> parts(sp.nodes.size());
    std::vector<std::pair<std::int32_t, bool>> stack{{sp.root, false}};
    while (!stack.empty()) {
      const auto [id, expanded] = stack.back();
      stack.pop_back();
      const SpNode& node = sp.nodes[at(id)];
      if (!expanded && node.kind != SpNode::Kind::kEdge) {
        stack.push_back({id, true});
        for (std::int32_t c : node.children) stack.push_back({c, false});
        continue;
      }
      Part& part = parts[at(id)];
      switch (node.kind) {
        case SpNode::Kind::kEdge: {
          const Bytes w = edge_weight(node.source, node.target);
          part.initial = part.mincut = part.final = w;
          break;
        }
        case SpNode::Kind::kSeries:
          part = series(node, parts);
          break;
        case SpNode::Kind::kParallel:
          part = parallel(node, parts);
          break;
      }
    }
    return std::move(parts[at(sp.root)]);
  }

  // Components run one after the other; between child i and child i + 1 the junction vertex j
  // runs as j_in, the split edge (a component of one edge), j_out. The minimum cut is the least
  // of the components' minimum cuts.
  Part series(const SpNode& node, std::vector<Part>& parts) const {
    const std::size_t k = node.children.size();
    // Component c (0 .. 2k - 2): even = child c / 2, odd = the split edge of a junction.
    auto mincut_of = [&](std::size_t c) {
      if (c % 2 == 0) return parts[at(node.children[c / 2])].mincut;
      return split_weight[at(sp.nodes[at(node.children[c / 2])].target)];
    };
    std::size_t best = 0;
    for (std::size_t c = 1; c < 2 * k - 1; ++c) {
      if (mincut_of(c) < mincut_of(best)) best = c;
    }
    Part out;
    out.initial = parts[at(node.children.front())].initial;
    out.final = parts[at(node.children.back())].final;
    out.mincut = mincut_of(best);
    for (std::size_t c = 0; c < 2 * k - 1; ++c) {
      std::vector<Item>& into = c < best ? out.before : out.after;
      if (c % 2 == 0) {
        Part& child = parts[at(node.children[c / 2])];
        if (c == best) {
          out.before.insert(out.before.end(), child.before.begin(), child.before.end());
          out.after.insert(out.after.end(), child.after.begin(), child.after.end());
        } else {
          into.insert(into.end(), child.before.begin(), child.before.end());
          into.insert(into.end(), child.after.begin(), child.after.end());
        }
        child = Part{};
      } else {
        const std::int32_t j = sp.nodes[at(node.children[c / 2])].target;
        // j_in precedes the split edge, j_out follows it.
        (c <= best ? out.before : out.after).push_back(2 * j);
        (c < best ? out.before : out.after).push_back(2 * j + 1);
      }
    }
    return out;
  }

  // Components side by side between the same terminals: each stops at its own minimum cut in
  // the middle; the parts after it merge like in-trees (Liu), the parts before it like out-trees
  // (Liu's merge on the reversed sequences).
  Part parallel(const SpNode& node, std::vector<Part>& parts) const {
    Part out;
    std::vector<std::vector<Item>> before, after;
    for (std::int32_t c : node.children) {
      Part& child = parts[at(c)];
      out.initial += child.initial;
      out.mincut += child.mincut;
      out.final += child.final;
      std::reverse(child.before.begin(), child.before.end());
      before.push_back(std::move(child.before));
      after.push_back(std::move(child.after));
      child = Part{};
    }
    out.before = liu_merge(before, delta, -1);
    std::reverse(out.before.begin(), out.before.end());
    out.after = liu_merge(after, delta, 1);
    return out;
  }
};

}  // namespace

std::optional<SpDecomposition> series_parallel_decomposition(const Graph& graph) {
  const std::int32_t n = graph.num_nodes();
  const std::int32_t source = n, target = n + 1;
  Reducer reducer(n + 2);
  for (NodeIndex v = 0; v < n; ++v) {
    if (graph.predecessors(v).empty()) reducer.add(source, v, reducer.leaf(source, v));
    if (graph.is_sink(v)) reducer.add(v, target, reducer.leaf(v, target));
    for (NodeIndex w : graph.successors(v)) reducer.add(v, w, reducer.leaf(v, w));
  }
  if (!reducer.reduce(source, target)) return std::nullopt;
  SpDecomposition out;
  out.root = reducer.root();
  out.nodes = reducer.take_nodes();
  out.virtual_source = source;
  out.virtual_target = target;
  return out;
}

bool is_series_parallel(const Graph& graph) {
  return series_parallel_decomposition(graph).has_value();
}

GraphTraversal min_peak_series_parallel(const Graph& graph) {
  const std::optional<SpDecomposition> sp = series_parallel_decomposition(graph);
  if (!sp) {
    throw std::invalid_argument(
        "graph::min_peak_series_parallel: the graph (with one source joined to its sources and "
        "one target joined from its sinks) is not series-parallel");
  }
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  EdgeModel model{graph, *sp, std::vector<std::int32_t>(n, 0), {}, {}};
  // Designates each output to its last consumer in `order` (sinks to the virtual target).
  auto designate = [&](const std::vector<NodeIndex>& order) {
    std::vector<std::int64_t> position(n);
    for (std::size_t k = 0; k < n; ++k) position[at(order[k])] = static_cast<std::int64_t>(k);
    std::vector<std::int32_t> designated(n, sp->virtual_target);
    for (std::size_t v = 0; v < n; ++v) {
      std::int64_t last = -1;
      for (NodeIndex w : graph.successors(static_cast<NodeIndex>(v))) {
        if (position[at(w)] > last) {
          last = position[at(w)];
          designated[v] = w;
        }
      }
    }
    return designated;
  };
  GraphTraversal best = min_peak_heuristic(graph);
  best.optimal = false;
  Bytes lower_bound = best.lower_bound;
  model.designated = designate(best.order);
  // Solves the edge model of the current designation; keeps the better order and the larger
  // lower bound. Returns the order found.
  auto evaluate = [&]() {
    model.set_weights();
    const Part part = model.solve();
    // The edge model's optimum: the largest cut level along the schedule, from the start (0:
    // the virtual source's edges weigh nothing) to the end (the sinks' bytes).
    Bytes level = part.initial, edge_peak = level;
    std::vector<NodeIndex> order;
    order.reserve(n);
    for (const auto* seq : {&part.before, &part.after}) {
      for (Item item : *seq) {
        level += model.delta[at(item)];
        edge_peak = std::max(edge_peak, level);
        if (item % 2 == 0) order.push_back(item / 2);
      }
    }
    lower_bound = std::max(lower_bound, edge_peak);
    const Bytes peak = order_peak(graph, order);
    if (peak < best.peak) {
      best.order = order;
      best.peak = peak;
    }
    return order;
  };
  constexpr int kMaxRounds = 8;
  for (int round = 0; round < kMaxRounds; ++round) {
    const Bytes peak_before = best.peak, bound_before = lower_bound;
    const std::vector<NodeIndex> order = evaluate();
    if (best.peak <= lower_bound) break;
    if (round > 0 && best.peak == peak_before && lower_bound == bound_before) break;  // stalled
    std::vector<std::int32_t> next = designate(order);
    if (next == model.designated) break;  // a fixed point that is not certified
    model.designated = std::move(next);
  }
  best.lower_bound = lower_bound;
  best.optimal = best.peak == lower_bound;
  return best;
}

}  // namespace memsched::graph
