// Block decomposition of forward-and-backward graphs into a heterogeneous chain, planned by the
// persistent DP and expanded back into graph steps.
#include "memsched/graph/decompose.hpp"

#include <algorithm>
#include <limits>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/graph/simulate.hpp"
#include "memsched/hetero/persistent.hpp"

namespace memsched::graph {

namespace {

std::size_t at(std::int64_t v) { return static_cast<std::size_t>(v); }

// The separators: nodes that are an ancestor or a descendant of every other node, from the
// popcounts of descendant and ancestor bitsets. In topological order.
std::vector<NodeIndex> separators(const Graph& graph) {
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  const std::size_t words = (n + 63) / 64;
  std::vector<std::uint64_t> desc(n * words, 0), anc(n * words, 0);
  auto row = [&](std::vector<std::uint64_t>& bits, std::size_t v) {
    return bits.data() + v * words;
  };
  const auto& topo = graph.topological_order();
  for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
    std::uint64_t* mine = row(desc, at(*it));
    for (NodeIndex w : graph.successors(*it)) {
      const std::uint64_t* theirs = row(desc, at(w));
      for (std::size_t k = 0; k < words; ++k) mine[k] |= theirs[k];
      mine[at(w) / 64] |= std::uint64_t{1} << (at(w) % 64);
    }
  }
  for (NodeIndex v : topo) {
    std::uint64_t* mine = row(anc, at(v));
    for (NodeIndex u : graph.predecessors(v)) {
      const std::uint64_t* theirs = row(anc, at(u));
      for (std::size_t k = 0; k < words; ++k) mine[k] |= theirs[k];
      mine[at(u) / 64] |= std::uint64_t{1} << (at(u) % 64);
    }
  }
  std::vector<NodeIndex> out;
  for (NodeIndex v : topo) {
    std::size_t count = 0;
    for (std::size_t k = 0; k < words; ++k) {
      count += static_cast<std::size_t>(__builtin_popcountll(row(desc, at(v))[k]) +
                                        __builtin_popcountll(row(anc, at(v))[k]));
    }
    if (count + 1 == n) out.push_back(v);
  }
  return out;
}

// Memory of running `region` (in this order) with its inputs from outside already resident and
// not counted: the largest (outputs of the region still needed inside it or kept) + bytes(v) +
// temp_bytes(v) over its nodes v. Outputs in `keep` stay to the end; the others are freed after
// their last consumer inside the region (at once if it has none).
Bytes region_peak(const Graph& graph, const std::vector<NodeIndex>& region,
                  const std::vector<char>& in_region, const std::vector<char>& keep) {
  std::vector<std::int64_t> remaining(region.size());
  std::vector<std::size_t> slot(static_cast<std::size_t>(graph.num_nodes()), 0);
  for (std::size_t k = 0; k < region.size(); ++k) {
    slot[at(region[k])] = k;
    for (NodeIndex w : graph.successors(region[k])) remaining[k] += in_region[at(w)] ? 1 : 0;
  }
  Bytes resident = 0, peak = 0;
  for (std::size_t k = 0; k < region.size(); ++k) {
    const NodeIndex v = region[k];
    peak = std::max(peak, resident + graph.bytes(v) + graph.temp_bytes(v));
    resident += graph.bytes(v);
    for (NodeIndex u : graph.predecessors(v)) {
      if (!in_region[at(u)]) continue;
      if (--remaining[slot[at(u)]] == 0 && !keep[at(u)]) resident -= graph.bytes(u);
    }
    if (remaining[k] == 0 && !keep[at(v)]) resident -= graph.bytes(v);
  }
  return peak;
}

// Fills blocks.chain and blocks.recompute. The backward of stage i reads some outputs of its
// forward block; those whose time per byte is at least `save_ratio` (and x_{i+1}) are the tape,
// the others are recomputed at the start of the backward from x_i and the tape, with whatever
// of the forward block they need. save_ratio 0 keeps every output the backward reads (rotor's
// stage); a large one keeps only x_{i+1}. Recomputing cheap outputs (activations,
// normalisations) instead of storing them is what Rockmate's per-block options exploit.
void summarise(const Graph& graph, BlockChain& blocks, double save_ratio) {
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  const auto num_stages = static_cast<std::int64_t>(blocks.forward.size());
  const auto& forward = blocks.forward;
  const auto& backward = blocks.backward;
  const auto& loss = blocks.loss;
  auto x_node = [&](std::int64_t i) { return i == 0 ? blocks.input : forward[at(i - 1)].back(); };
  auto y_node = [&](std::int64_t i) {
    return i == num_stages ? loss.back() : backward[at(i)].back();
  };
  auto input_bytes = [&](std::int64_t i) {
    return std::max(graph.bytes(x_node(i)), graph.bytes(y_node(i)));
  };
  std::vector<char> in_region(n, 0), keep(n, 0), in_backward(n, 0), in_forward(n, 0);
  auto mark = [&](const std::vector<NodeIndex>& region, char value) {
    for (NodeIndex v : region) in_region[at(v)] = value;
  };
  std::vector<HeteroStage> stages(at(num_stages));
  blocks.recompute.assign(at(num_stages), {});
  for (std::int64_t i = 0; i < num_stages; ++i) {
    HeteroStage& s = stages[at(i)];
    const auto& f = forward[at(i)];
    const auto& b = backward[at(i)];
    for (NodeIndex v : f) s.forward_time += graph.time(v);
    for (NodeIndex v : b) s.backward_time += graph.time(v);
    s.input_bytes = input_bytes(i);
    // Non-recording forward: only x_{i+1} stays.
    mark(f, 1);
    keep[at(f.back())] = 1;
    const Bytes next_input = input_bytes(i + 1);
    s.forward_tmp_bytes = std::max<Bytes>(0, region_peak(graph, f, in_region, keep) - next_input);
    // Recording forward: the tape stays too.
    for (NodeIndex v : b) in_backward[at(v)] = 1;
    for (NodeIndex v : f) in_forward[at(v)] = 1;
    Bytes tape = 0;
    std::vector<char> needed(n, 0);  // read by the backward, or by a recomputed node
    for (auto it = f.rbegin(); it != f.rend(); ++it) {
      const NodeIndex v = *it;
      bool read = false;
      for (NodeIndex w : graph.successors(v)) read = read || in_backward[at(w)] || needed[at(w)];
      if (!read && v != f.back()) continue;
      const double ratio = graph.time(v) / static_cast<double>(std::max<Bytes>(1, graph.bytes(v)));
      if (v == f.back() || ratio >= save_ratio) {
        keep[at(v)] = 1;
        tape += graph.bytes(v);
      } else {
        needed[at(v)] = 1;
      }
    }
    auto& recompute = blocks.recompute[at(i)];
    for (NodeIndex v : f) {
      if (needed[at(v)]) {
        recompute.push_back(v);
        s.backward_time += graph.time(v);
      }
    }
    s.tape_bytes = std::max(tape, next_input);
    s.recording_tmp_bytes =
        std::max<Bytes>(0, region_peak(graph, f, in_region, keep) - s.tape_bytes);
    for (NodeIndex v : f) keep[at(v)] = 0;
    for (NodeIndex v : b) in_backward[at(v)] = 0;
    for (NodeIndex v : f) in_forward[at(v)] = 0;
    mark(f, 0);
    // Backward: the recomputed outputs, then the block; ȳ_i stays and is counted at input_bytes.
    std::vector<NodeIndex> region = recompute;
    region.insert(region.end(), b.begin(), b.end());
    mark(region, 1);
    keep[at(b.back())] = 1;
    s.backward_tmp_bytes =
        std::max<Bytes>(0, region_peak(graph, region, in_region, keep) - s.input_bytes);
    keep[at(b.back())] = 0;
    mark(region, 0);
  }
  HeteroLoss hetero_loss;
  hetero_loss.input_bytes = input_bytes(num_stages);
  for (NodeIndex v : loss) hetero_loss.time += graph.time(v);
  mark(loss, 1);
  keep[at(loss.back())] = 1;
  hetero_loss.backward_tmp_bytes =
      std::max<Bytes>(0, region_peak(graph, loss, in_region, keep) - hetero_loss.input_bytes);
  blocks.chain = HeteroChain(std::move(stages), hetero_loss);
}

}  // namespace

std::optional<BlockChain> block_chain(const Graph& graph) {
  const NodeIndex n = graph.num_nodes();
  if (n > kMaxBlockChainNodes) {
    throw std::invalid_argument("graph::block_chain: " + std::to_string(n) +
                                " nodes, more than the " + std::to_string(kMaxBlockChainNodes) +
                                " it accepts (n^2 / 4 bytes of reachability)");
  }
  if (graph.sinks().size() != 1 || n < 3) return std::nullopt;
  const std::vector<NodeIndex> spine = separators(graph);
  const auto m = static_cast<std::int64_t>(spine.size());
  // One source and one sink are separators, first and last.
  if (m < 2 || !graph.predecessors(spine.front()).empty() || spine.back() != graph.sinks()[0]) {
    return std::nullopt;
  }
  // Position of every node on the line of separators: 2j for separator j, 2j + 1 for the nodes
  // after separator j and before separator j + 1 (its descendants that are not j + 1's).
  std::vector<std::int64_t> index_of(at(n), -1), position(at(n), -1);
  for (std::int64_t j = 0; j < m; ++j) index_of[at(spine[at(j)])] = j;
  for (NodeIndex v : graph.topological_order()) {
    if (index_of[at(v)] >= 0) {
      position[at(v)] = 2 * index_of[at(v)];
      continue;
    }
    std::int64_t unit = -1;
    for (NodeIndex u : graph.predecessors(v)) unit = std::max(unit, position[at(u)] / 2);
    if (unit < 0) return std::nullopt;  // another source
    position[at(v)] = 2 * unit + 1;
  }
  const std::int64_t num_positions = 2 * m;
  std::vector<std::vector<NodeIndex>> at_position(at(num_positions));
  std::vector<std::int64_t> last_reader(at(num_positions), -1);  // per position: furthest reader
  for (NodeIndex v : graph.topological_order()) {
    at_position[at(position[at(v)])].push_back(v);
    for (NodeIndex w : graph.successors(v)) {
      last_reader[at(position[at(v)])] =
          std::max(last_reader[at(position[at(v)])], position[at(w)]);
    }
  }
  // From the outside in: stage (c0, d0) is cut at a pair (c, d): its forward (c0, c] is read,
  // besides x_{i+1} = separator c, only inside it and on the backward side beyond d, and the
  // inside (c, d), besides ȳ_{i+1} = separator d, is read only inside. For each c the largest
  // such d; among the pairs, the one whose two blocks hold the fewest nodes (a smaller d, or a
  // larger c, would hand the rest of the graph to this stage).
  std::vector<std::int64_t> nodes_before(at(num_positions) + 1, 0);  // nodes at positions < p
  for (std::int64_t p = 0; p < num_positions; ++p) {
    nodes_before[at(p + 1)] =
        nodes_before[at(p)] + static_cast<std::int64_t>(at_position[at(p)].size());
  }
  auto nodes_in = [&](std::int64_t lo, std::int64_t hi) {  // positions (lo, hi]
    return nodes_before[at(hi + 1)] - nodes_before[at(lo + 1)];
  };
  std::vector<std::pair<std::int64_t, std::int64_t>> cuts{{0, m - 1}};
  std::vector<std::int64_t> prefix_max(at(num_positions), -1);
  for (;;) {
    const auto [c0, d0] = cuts.back();
    std::int64_t best_c = -1, best_d = -1, best_size = std::numeric_limits<std::int64_t>::max();
    // Reader positions of x_i and the forward nodes before separator c, smallest on top.
    std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> readers;
    for (std::int64_t c = c0 + 1; c + 1 < d0; ++c) {
      if (nodes_in(2 * c0, 2 * c) >= best_size) break;  // the forward block alone is larger
      for (std::int64_t p = 2 * c - 2; p < 2 * c; ++p) {
        if (p < 2 * c0) continue;
        for (NodeIndex v : at_position[at(p)]) {
          for (NodeIndex w : graph.successors(v)) readers.push(position[at(w)]);
        }
      }
      while (!readers.empty() && readers.top() <= 2 * c) readers.pop();
      const std::int64_t low_out =
          readers.empty() ? std::numeric_limits<std::int64_t>::max() : readers.top();
      const std::int64_t d_max = std::min(d0 - 1, (low_out - 1) / 2);
      if (d_max <= c) continue;
      for (std::int64_t p = 2 * c + 1; p < 2 * d_max; ++p) {
        prefix_max[at(p)] =
            std::max(p == 2 * c + 1 ? std::int64_t{-1} : prefix_max[at(p - 1)], last_reader[at(p)]);
      }
      for (std::int64_t d = d_max; d > c; --d) {
        if (prefix_max[at(2 * d - 1)] <= 2 * d) {
          const std::int64_t size = nodes_in(2 * c0, 2 * c) + nodes_in(2 * d, 2 * d0);
          if (size < best_size) {
            best_size = size;
            best_c = c;
            best_d = d;
          }
          break;
        }
      }
    }
    if (best_d < 0) break;
    cuts.push_back({best_c, best_d});
  }
  const auto num_stages = static_cast<std::int64_t>(cuts.size()) - 1;
  if (num_stages == 0) return std::nullopt;
  std::vector<std::vector<NodeIndex>> forward(at(num_stages)), backward(at(num_stages));
  std::vector<NodeIndex> loss;
  // Region of each position: forward stage i owns (2 c_i, 2 c_{i+1}], backward stage i owns
  // (2 d_{i+1}, 2 d_i], the loss region (2 c_L, 2 d_L].
  std::vector<std::int64_t> owner(at(num_positions), 0);  // 0 ... L-1 forward, L loss, ~i back
  for (std::int64_t i = 0; i < num_stages; ++i) {
    for (std::int64_t p = 2 * cuts[at(i)].first + 1; p <= 2 * cuts[at(i + 1)].first; ++p) {
      owner[at(p)] = i;
    }
    for (std::int64_t p = 2 * cuts[at(i + 1)].second + 1; p <= 2 * cuts[at(i)].second; ++p) {
      owner[at(p)] = ~i;
    }
  }
  for (std::int64_t p = 2 * cuts.back().first + 1; p <= 2 * cuts.back().second; ++p) {
    owner[at(p)] = num_stages;
  }
  for (NodeIndex v : graph.topological_order()) {
    const std::int64_t p = position[at(v)];
    if (p == 0) continue;  // x_0
    const std::int64_t o = owner[at(p)];
    if (o == num_stages) {
      loss.push_back(v);
    } else if (o >= 0) {
      forward[at(o)].push_back(v);
    } else {
      backward[at(~o)].push_back(v);
    }
  }
  BlockChain out{spine.front(),
                 std::move(forward),
                 std::move(loss),
                 std::move(backward),
                 {},
                 HeteroChain({HeteroStage{}}, HeteroLoss{})};
  summarise(graph, out, 0.0);
  return out;
}

namespace {

// The schedule that computes `computes` in order and frees each computed value right after its
// last use before its next computation (at once if none); sinks computed last stay.
GraphSchedule with_frees(const Graph& graph, const std::vector<NodeIndex>& computes) {
  const auto n = static_cast<std::size_t>(graph.num_nodes());
  std::vector<std::int64_t> born(n, -1), last_use(n, -1);
  std::vector<std::vector<NodeIndex>> free_after(computes.size());
  auto close = [&](NodeIndex v) {
    const std::int64_t when = std::max(born[at(v)], last_use[at(v)]);
    free_after[at(when)].push_back(v);
  };
  for (std::size_t k = 0; k < computes.size(); ++k) {
    const NodeIndex v = computes[k];
    for (NodeIndex u : graph.predecessors(v)) last_use[at(u)] = static_cast<std::int64_t>(k);
    if (born[at(v)] >= 0) close(v);
    born[at(v)] = static_cast<std::int64_t>(k);
    last_use[at(v)] = -1;
  }
  for (std::size_t v = 0; v < n; ++v) {
    if (born[v] >= 0 && !graph.is_sink(static_cast<NodeIndex>(v))) {
      close(static_cast<NodeIndex>(v));
    }
  }
  GraphSchedule schedule;
  schedule.reserve(2 * computes.size());
  for (std::size_t k = 0; k < computes.size(); ++k) {
    schedule.push_back(GraphOp::compute(computes[k]));
    for (NodeIndex v : free_after[k]) schedule.push_back(GraphOp::free(v));
  }
  return schedule;
}

}  // namespace

DecompositionResult remat_decomposition(const Graph& graph, Bytes budget_bytes,
                                        const DecompositionOptions& options) {
  if (budget_bytes < 0) throw std::invalid_argument("graph::remat_decomposition: negative budget");
  if (options.max_replans < 0 || options.num_units < 1) {
    throw std::invalid_argument(
        "graph::remat_decomposition: max_replans must be >= 0 and "
        "num_units >= 1");
  }
  const std::optional<BlockChain> found = block_chain(graph);
  if (!found) {
    throw std::invalid_argument(
        "graph::remat_decomposition: no block structure (it needs one source, one sink and a "
        "separator between them whose forward part closes a stage; see docs/graphs.md)");
  }
  DecompositionResult out;
  out.num_stages = found->chain.num_stages();
  out.largest_block = static_cast<NodeIndex>(found->loss.size());
  for (std::int64_t i = 0; i < out.num_stages; ++i) {
    out.largest_block = std::max(
        out.largest_block,
        static_cast<NodeIndex>(found->forward[at(i)].size() + found->backward[at(i)].size()));
  }
  PersistentOptions persistent;
  persistent.num_units = options.num_units;
  // The chain's schedule at `chain_budget`, expanded and replayed: its graph peak and plan.
  struct Trial {
    bool planned = false;
    Bytes peak = 0;
    RematPlan plan;
  };
  auto evaluate = [&](const BlockChain& blocks, Bytes chain_budget) {
    Trial trial;
    const std::optional<HeteroPlan> plan = plan_persistent(blocks.chain, chain_budget, persistent);
    if (!plan) return trial;
    std::vector<NodeIndex> computes{blocks.input};
    for (const HeteroOp& op : plan->schedule) {
      switch (op.kind) {
        case HeteroOpKind::kForwardCheck:
        case HeteroOpKind::kForwardNograd:
        case HeteroOpKind::kForwardEnable: {
          const auto& f = blocks.forward[at(op.stage)];
          computes.insert(computes.end(), f.begin(), f.end());
          break;
        }
        case HeteroOpKind::kLoss:
          computes.insert(computes.end(), blocks.loss.begin(), blocks.loss.end());
          break;
        case HeteroOpKind::kBackward: {
          const auto& r = blocks.recompute[at(op.stage)];
          const auto& b = blocks.backward[at(op.stage)];
          computes.insert(computes.end(), r.begin(), r.end());
          computes.insert(computes.end(), b.begin(), b.end());
          break;
        }
        case HeteroOpKind::kFree:
          break;
      }
    }
    trial.planned = true;
    trial.plan.schedule = with_frees(graph, computes);
    const GraphSimulation sim = simulate(graph, trial.plan.schedule);
    trial.peak = sim.peak;
    trial.plan.time = sim.compute_time;
    trial.plan.peak = sim.peak;
    trial.plan.optimal = false;
    trial.plan.lower_bound = graph.total_time();
    return trial;
  };
  auto keep_best = [&](Trial& trial) {
    if (trial.planned && trial.peak <= budget_bytes &&
        (!out.plan || trial.plan.time < out.plan->time)) {
      out.plan = std::move(trial.plan);
    }
  };
  // The chain summary charges each block as the chain model does (whole tapes from the start of
  // a recording forward to the end of its backward), the graph schedule frees each output after
  // its last use: the graph peak is usually lower than the chain budget, sometimes higher (the
  // units round sizes up, but a block's order may differ). Bisect the chain budget for the
  // largest one whose replayed schedule fits: a chain budget without a plan is too small, one
  // whose schedule does not fit too large. Stop at a relative precision of 1/1000.
  auto search = [&](const BlockChain& blocks) {
    Bytes lo = 0, hi = blocks.chain.store_all_peak() + 1;
    Trial top = evaluate(blocks, hi);
    if (top.planned && top.peak <= budget_bytes) {
      keep_best(top);
      return;  // nothing recomputed
    }
    for (int step = 0; step < options.max_replans && hi - lo > std::max<Bytes>(1, hi / 1000);
         ++step) {
      const Bytes mid = lo + (hi - lo) / 2;
      Trial trial = evaluate(blocks, mid);
      ++out.replans;
      if (!trial.planned) {
        lo = mid;
      } else if (trial.peak <= budget_bytes) {
        lo = mid;
        keep_best(trial);
      } else {
        hi = mid;
      }
    }
    Trial last = evaluate(blocks, lo);  // the bisection may have stepped over it
    keep_best(last);
  };
  // Which outputs a block saves for its backward: thresholds on time per byte at the quantiles
  // 0, 1/4, 1/2, 3/4 of the forward nodes' ratios, and above all of them (save only x_{i+1}).
  std::vector<double> ratios;
  for (const auto& f : found->forward) {
    for (NodeIndex v : f) {
      ratios.push_back(graph.time(v) / static_cast<double>(std::max<Bytes>(1, graph.bytes(v))));
    }
  }
  std::sort(ratios.begin(), ratios.end());
  std::vector<double> thresholds{0.0};
  for (std::size_t q = 1; q <= 3; ++q) thresholds.push_back(ratios[q * (ratios.size() - 1) / 4]);
  thresholds.push_back(std::numeric_limits<double>::infinity());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  std::vector<std::vector<std::vector<NodeIndex>>> tried;  // recompute lists already planned
  for (double threshold : options.save_options ? thresholds : std::vector<double>{0.0}) {
    BlockChain blocks = *found;
    summarise(graph, blocks, threshold);
    if (std::find(tried.begin(), tried.end(), blocks.recompute) != tried.end()) continue;
    tried.push_back(blocks.recompute);
    search(blocks);
  }
  return out;
}

}  // namespace memsched::graph
