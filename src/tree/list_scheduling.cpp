// ParInnerFirst, ParDeepestFirst, ParSubtrees, proportional, all-to-all and memory-aware
// mappings, and the memory gate.
#include "memsched/tree/list_scheduling.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "detail/list_engine.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"

namespace memsched {

namespace {

void check_processors(std::int64_t processors, const char* caller) {
  if (processors < 1) {
    throw std::invalid_argument(std::string(caller) + ": processors " + std::to_string(processors) +
                                " < 1");
  }
}

ParallelSchedule run(const Tree& tree, std::int64_t processors, const detail::ListRequest& r) {
  // Without a gate the engine always completes.
  return *detail::run_list_schedule(tree, processors, r);
}

std::vector<double> subtree_work(const Tree& tree) {
  std::vector<double> work(static_cast<std::size_t>(tree.num_nodes()), 0.0);
  for (NodeId v : tree.postorder()) {
    work[static_cast<std::size_t>(v)] += tree.work(v);
    if (tree.parent(v) >= 0) {
      work[static_cast<std::size_t>(tree.parent(v))] += work[static_cast<std::size_t>(v)];
    }
  }
  return work;
}

void check_bound(Memory memory_bound, const char* caller) {
  if (memory_bound < 0) {
    throw std::invalid_argument(std::string(caller) + ": negative memory bound " +
                                std::to_string(memory_bound));
  }
}

}  // namespace

ParallelSchedule par_inner_first(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "par_inner_first");
  const std::vector<NodeId> order = liu_optimal_traversal(tree).order;
  detail::ListRequest request;
  request.rank = detail::ranks_from_order(order);
  for (NodeId v = 0; v < tree.num_nodes(); ++v) {
    if (tree.num_children(v) == 0) request.rank[static_cast<std::size_t>(v)] += tree.num_nodes();
  }
  return run(tree, processors, request);
}

ParallelSchedule par_deepest_first(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "par_deepest_first");
  detail::ListRequest request;
  request.rank = detail::deepest_first_ranks(tree, liu_optimal_traversal(tree).order);
  return run(tree, processors, request);
}

ParallelSchedule par_subtrees(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "par_subtrees");
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  const auto p = static_cast<std::size_t>(processors);
  const std::vector<double> work = subtree_work(tree);
  using Entry = std::pair<double, NodeId>;  // (subtree work, root)
  // The candidate subtrees, split into the p heaviest (`top`, with their total) and the rest.
  std::set<Entry> top, rest;
  double top_sum = 0.0;
  // Guards on emptiness below are implied by p >= 1 but keep GCC's -Warray-bounds quiet.
  auto insert = [&](Entry e) {
    if (top.size() < p) {
      top.insert(e);
      top_sum += e.first;
      return;
    }
    const auto smallest = top.begin();
    if (smallest != top.end() && *smallest < e) {
      top_sum += e.first - smallest->first;
      rest.insert(*smallest);
      top.erase(smallest);
      top.insert(e);
    } else {
      rest.insert(e);
    }
  };
  auto erase_heaviest = [&]() {
    if (top.empty()) return;
    const auto heaviest = std::prev(top.end());
    top_sum -= heaviest->first;
    top.erase(heaviest);
    if (!rest.empty()) {
      const auto promoted = std::prev(rest.end());
      top_sum += promoted->first;
      top.insert(*promoted);
      rest.erase(promoted);
    }
  };
  const double total = tree.total_work();
  insert({work[static_cast<std::size_t>(tree.root())], tree.root()});
  // SplitSubtrees: cost = heaviest subtree + work outside the p heaviest.
  std::vector<NodeId> split_sequence;
  double best_cost = total;
  std::size_t best_splits = 0;
  for (std::size_t step = 0; step < n && !top.empty(); ++step) {
    const NodeId heaviest = std::prev(top.end())->second;
    if (tree.num_children(heaviest) == 0) break;
    erase_heaviest();
    split_sequence.push_back(heaviest);
    for (const NodeId* c = tree.children_begin(heaviest); c != tree.children_end(heaviest); ++c) {
      insert({work[static_cast<std::size_t>(*c)], *c});
    }
    const double cost = (top.empty() ? 0.0 : std::prev(top.end())->first) + (total - top_sum);
    if (cost < best_cost) {
      best_cost = cost;
      best_splits = split_sequence.size();
    }
  }
  // Replay the best split: the cut nodes, then the subtrees hanging below them.
  std::vector<char> cut(n, 0);
  for (std::size_t k = 0; k < best_splits; ++k)
    cut[static_cast<std::size_t>(split_sequence[k])] = 1;
  std::vector<Entry> subtrees;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) {
    const NodeId parent = tree.parent(v);
    const bool top_of_subtree =
        !cut[static_cast<std::size_t>(v)] && (parent < 0 || cut[static_cast<std::size_t>(parent)]);
    if (top_of_subtree) subtrees.push_back({work[static_cast<std::size_t>(v)], v});
  }
  std::sort(subtrees.begin(), subtrees.end(), std::greater<>());
  // Processor of each node: subtree k < p runs on processor k, everything else on 0.
  std::vector<std::int64_t> proc(n, -1);
  for (std::size_t k = 0; k < std::min(p, subtrees.size()); ++k) {
    proc[static_cast<std::size_t>(subtrees[k].second)] = static_cast<std::int64_t>(k);
  }
  for (auto it = tree.postorder().rbegin(); it != tree.postorder().rend(); ++it) {
    const NodeId v = *it;
    const NodeId parent = tree.parent(v);
    if (proc[static_cast<std::size_t>(v)] < 0 && parent >= 0 &&
        !cut[static_cast<std::size_t>(parent)]) {
      proc[static_cast<std::size_t>(v)] = proc[static_cast<std::size_t>(parent)];
    }
  }
  const std::vector<NodeId> order = liu_optimal_traversal(tree).order;
  detail::ListRequest request;
  request.rank = detail::ranks_from_order(order);
  request.proc_lo.resize(n);
  request.proc_hi.resize(n);
  for (std::size_t v = 0; v < n; ++v) {
    // Restricting Liu's order to a subtree gives that subtree's optimal order (merging keeps
    // each child's segments in order), so ranks from the global order serve every subtree.
    if (proc[v] < 0) {
      proc[v] = 0;
      request.rank[v] += tree.num_nodes();  // the sequential rest comes last on processor 0
    }
    request.proc_lo[v] = request.proc_hi[v] = proc[v];
  }
  return run(tree, processors, request);
}

namespace {

// Proportional mapping (Pothen & Sun 1993), and with `peaks` the memory-aware rule of
// Agullo et al. 2016: a child whose share of p_c processors would need more than
// M0 = bound / P per processor, i.e. peaks[c] / p_c > bound / P, is serialised (it keeps the
// parent's whole group).
std::vector<ProcessorInterval> mapping_intervals(const Tree& tree, std::int64_t processors,
                                                 const std::vector<Memory>* peaks, Memory bound) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  const std::vector<double> work = subtree_work(tree);
  std::vector<double> lo(n, 0.0), hi(n, 0.0);
  std::vector<ProcessorInterval> result(n);
  hi[static_cast<std::size_t>(tree.root())] = static_cast<double>(processors);
  const double last_proc = static_cast<double>(processors - 1);
  for (auto it = tree.postorder().rbegin(); it != tree.postorder().rend(); ++it) {
    const auto v = static_cast<std::size_t>(*it);
    double children_work = 0.0;
    for (const NodeId* c = tree.children_begin(*it); c != tree.children_end(*it); ++c) {
      children_work += work[static_cast<std::size_t>(*c)];
    }
    double start = lo[v];
    const NodeId k = tree.num_children(*it);
    for (const NodeId* c = tree.children_begin(*it); c != tree.children_end(*it); ++c) {
      const auto ci = static_cast<std::size_t>(*c);
      // Zero-work children share equally, so every child gets a non-empty interval.
      const double share =
          children_work > 0 ? work[ci] / children_work : 1.0 / static_cast<double>(k);
      lo[ci] = start;
      hi[ci] = start + (hi[v] - lo[v]) * share;
      start = hi[ci];
      if (peaks != nullptr) {
        const auto first = static_cast<long double>(std::min(std::floor(lo[ci]), last_proc));
        const auto last =
            std::max(first, static_cast<long double>(std::min(std::ceil(hi[ci]) - 1.0, last_proc)));
        const long double share_procs = last - first + 1;
        // peaks[c] / p_c > bound / P, without dividing (long double: products up to 2^82).
        if (static_cast<long double>((*peaks)[ci]) * static_cast<long double>(processors) >
            static_cast<long double>(bound) * share_procs) {
          lo[ci] = lo[v];
          hi[ci] = hi[v];
        }
      }
    }
    const double first = std::min(std::floor(lo[v]), last_proc);
    const double last = std::max(first, std::min(std::ceil(hi[v]) - 1.0, last_proc));
    result[v] = {static_cast<std::int64_t>(first), static_cast<std::int64_t>(last)};
  }
  return result;
}

}  // namespace

std::vector<ProcessorInterval> proportional_intervals(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "proportional_intervals");
  return mapping_intervals(tree, processors, nullptr, 0);
}

std::vector<ProcessorInterval> memory_aware_intervals(const Tree& tree, std::int64_t processors,
                                                      Memory memory_bound) {
  check_processors(processors, "memory_aware_intervals");
  check_bound(memory_bound, "memory_aware_intervals");
  const std::vector<Memory> peaks = postorder_subtree_peaks(tree);
  return mapping_intervals(tree, processors, &peaks, memory_bound);
}

ParallelSchedule proportional_mapping(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "proportional_mapping");
  const std::vector<ProcessorInterval> intervals = proportional_intervals(tree, processors);
  detail::ListRequest request;
  request.rank = detail::ranks_from_order(liu_optimal_traversal(tree).order);
  for (const ProcessorInterval& i : intervals) {
    request.proc_lo.push_back(i.first);
    request.proc_hi.push_back(i.last);
  }
  return run(tree, processors, request);
}

ParallelSchedule all_to_all_mapping(const Tree& tree, std::int64_t processors) {
  check_processors(processors, "all_to_all_mapping");
  // The whole group works on one node at a time (Agullo et al. 2016): a sequential run of the
  // optimal order, tasks back to back.
  const std::vector<NodeId> order = liu_optimal_traversal(tree).order;
  ParallelSchedule schedule;
  schedule.runs.resize(static_cast<std::size_t>(tree.num_nodes()));
  schedule.start_order = order;
  double time = 0.0;
  std::int64_t k = 0;
  for (NodeId v : order) {
    TaskRun& r = schedule.runs[static_cast<std::size_t>(v)];
    r.start = time;
    r.end = time + tree.work(v);
    r.processor = k++ % processors;
    time = r.end;
  }
  const ParallelReport report = simulate_parallel(tree, schedule.runs, processors, order);
  schedule.makespan = report.makespan;
  schedule.peak = report.peak;
  return schedule;
}

std::optional<ParallelSchedule> memory_aware_mapping(const Tree& tree, std::int64_t processors,
                                                     Memory memory_bound) {
  check_processors(processors, "memory_aware_mapping");
  check_bound(memory_bound, "memory_aware_mapping");
  const std::vector<ProcessorInterval> intervals =
      memory_aware_intervals(tree, processors, memory_bound);
  // The static serialisation of the paper relies on all-to-all execution inside a group,
  // which one-processor tasks lack; the activation gate (docs/theory/trees.md) enforces the bound
  // instead and never deadlocks when the bound is at least the peak of its order.
  const std::vector<NodeId> order = liu_optimal_traversal(tree).order;
  detail::ListRequest request;
  request.rank = detail::ranks_from_order(order);
  for (const ProcessorInterval& i : intervals) {
    request.proc_lo.push_back(i.first);
    request.proc_hi.push_back(i.last);
  }
  request.gate = detail::ActivationGate{&order, memory_bound};
  return detail::run_list_schedule(tree, processors, request);
}

std::optional<ParallelSchedule> memory_bounded_schedule(const Tree& tree, std::int64_t processors,
                                                        Memory memory_bound,
                                                        const MemoryBoundedOptions& options) {
  check_processors(processors, "memory_bounded_schedule");
  check_bound(memory_bound, "memory_bounded_schedule");
  std::vector<NodeId> order = options.activation_order;
  if (order.empty()) {
    order = liu_optimal_traversal(tree).order;
  } else {
    check_traversal(tree, order, "memory_bounded_schedule");
  }
  detail::ListRequest request;
  request.rank = options.priority == ExecutionPriority::kActivationOrder
                     ? detail::ranks_from_order(order)
                     : detail::deepest_first_ranks(tree, order);
  request.gate = detail::ActivationGate{&order, memory_bound};
  return detail::run_list_schedule(tree, processors, request);
}

}  // namespace memsched
