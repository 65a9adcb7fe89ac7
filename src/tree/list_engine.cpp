// The event-driven list scheduler behind the parallel tree heuristics (Eyraud-Dubois et
// al., ACM TOPC 2015, §5.2).
#include "detail/list_engine.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <stdexcept>
#include <utility>

namespace memsched::detail {

std::vector<std::int64_t> ranks_from_order(const std::vector<NodeId>& order) {
  std::vector<std::int64_t> rank(order.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    rank[static_cast<std::size_t>(order[k])] = static_cast<std::int64_t>(k);
  }
  return rank;
}

std::vector<std::int64_t> deepest_first_ranks(const Tree& tree,
                                              const std::vector<NodeId>& tie_order) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  std::vector<double> depth(n, 0.0);
  // Reverse post-order visits parents before children.
  for (auto it = tree.postorder().rbegin(); it != tree.postorder().rend(); ++it) {
    const NodeId v = *it;
    const NodeId p = tree.parent(v);
    depth[static_cast<std::size_t>(v)] =
        tree.work(v) + (p >= 0 ? depth[static_cast<std::size_t>(p)] : 0.0);
  }
  const std::vector<std::int64_t> tie = ranks_from_order(tie_order);
  std::vector<NodeId> nodes(n);
  for (std::size_t i = 0; i < n; ++i) nodes[i] = static_cast<NodeId>(i);
  std::sort(nodes.begin(), nodes.end(), [&](NodeId a, NodeId b) {
    const auto ai = static_cast<std::size_t>(a);
    const auto bi = static_cast<std::size_t>(b);
    if (depth[ai] != depth[bi]) return depth[ai] > depth[bi];
    return tie[ai] < tie[bi];
  });
  return ranks_from_order(nodes);
}

std::optional<ParallelSchedule> run_list_schedule(const Tree& tree, std::int64_t processors,
                                                  const ListRequest& request) {
  const NodeId n = tree.num_nodes();
  const auto un = static_cast<std::size_t>(n);
  const auto up = static_cast<std::size_t>(processors);
  const bool restricted = !request.proc_lo.empty();
  using Item = std::pair<std::int64_t, NodeId>;  // (rank, node), smallest rank first
  using MinQueue = std::priority_queue<Item, std::vector<Item>, std::greater<Item>>;
  // One queue for all processors, or one per processor when tasks are restricted (a task
  // sits in the queue of every processor it may use; stale entries are skipped).
  std::vector<MinQueue> queues(restricted ? up : 1);
  // Restricted mode only revisits processors that may start something: idle ones that just
  // got a ready task or just became idle (scanning every idle processor at every event would
  // cost O(p) per event).
  std::vector<char> is_idle(restricted ? up : 0, 1);
  std::vector<char> is_candidate(restricted ? up : 0, 0);
  std::vector<std::int64_t> candidates;
  auto mark = [&](std::int64_t q) {
    const auto qi = static_cast<std::size_t>(q);
    if (is_idle[qi] && !is_candidate[qi]) {
      is_candidate[qi] = 1;
      candidates.push_back(q);
    }
  };
  std::vector<NodeId> waiting(un);  // children not finished
  std::vector<char> ready(un, 0), activated(un, request.gate ? 0 : 1), started(un, 0);
  for (NodeId v = 0; v < n; ++v) waiting[static_cast<std::size_t>(v)] = tree.num_children(v);
  auto rank = [&](NodeId v) { return request.rank[static_cast<std::size_t>(v)]; };
  auto enqueue = [&](NodeId v) {
    const auto vi = static_cast<std::size_t>(v);
    if (!ready[vi] || !activated[vi]) return;
    if (!restricted) {
      queues[0].push({rank(v), v});
      return;
    }
    for (std::int64_t q = request.proc_lo[vi]; q <= request.proc_hi[vi]; ++q) {
      queues[static_cast<std::size_t>(q)].push({rank(v), v});
      mark(q);
    }
  };
  std::size_t next_activation = 0;
  Memory reserved = 0;
  auto activate = [&]() {
    if (!request.gate) return;
    const std::vector<NodeId>& order = *request.gate->order;
    while (next_activation < order.size()) {
      const NodeId v = order[next_activation];
      const Memory need = tree.exec_memory(v) + tree.output_size(v);
      if (reserved + need > request.gate->bound) break;
      reserved += need;
      activated[static_cast<std::size_t>(v)] = 1;
      enqueue(v);
      ++next_activation;
    }
  };
  for (NodeId v = 0; v < n; ++v) {
    if (waiting[static_cast<std::size_t>(v)] == 0) {
      ready[static_cast<std::size_t>(v)] = 1;
      enqueue(v);
    }
  }
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> idle;
  if (!restricted) {
    for (std::int64_t q = 0; q < processors; ++q) idle.push(q);
  }
  using Running = std::pair<double, NodeId>;  // (end, node)
  std::priority_queue<Running, std::vector<Running>, std::greater<Running>> running;
  ParallelSchedule schedule;
  schedule.runs.resize(un);
  double now = 0.0;
  NodeId finished = 0;
  while (finished < n) {
    activate();
    // Start tasks on idle processors, lowest processor first.
    if (!restricted) {
      while (!idle.empty() && !queues[0].empty()) {
        const NodeId v = queues[0].top().second;
        queues[0].pop();
        const std::int64_t q = idle.top();
        idle.pop();
        started[static_cast<std::size_t>(v)] = 1;
        schedule.start_order.push_back(v);
        schedule.runs[static_cast<std::size_t>(v)] = {now, now + tree.work(v), q};
        running.push({now + tree.work(v), v});
      }
    } else {
      std::sort(candidates.begin(), candidates.end());  // lowest processor first
      for (std::int64_t q : candidates) {
        const auto qi = static_cast<std::size_t>(q);
        is_candidate[qi] = 0;
        MinQueue& queue = queues[qi];
        while (!queue.empty() && started[static_cast<std::size_t>(queue.top().second)]) {
          queue.pop();
        }
        if (!is_idle[qi] || queue.empty()) continue;
        const NodeId v = queue.top().second;
        queue.pop();
        is_idle[qi] = 0;
        started[static_cast<std::size_t>(v)] = 1;
        schedule.start_order.push_back(v);
        schedule.runs[static_cast<std::size_t>(v)] = {now, now + tree.work(v), q};
        running.push({now + tree.work(v), v});
      }
      candidates.clear();
    }
    if (running.empty()) return std::nullopt;  // deadlock: only a gate can cause it
    now = running.top().first;
    while (!running.empty() && running.top().first == now) {
      const NodeId v = running.top().second;
      running.pop();
      ++finished;
      const std::int64_t q = schedule.runs[static_cast<std::size_t>(v)].processor;
      if (restricted) {
        is_idle[static_cast<std::size_t>(q)] = 1;
        mark(q);
      } else {
        idle.push(q);
      }
      if (request.gate) reserved -= tree.exec_memory(v) + tree.children_output(v);
      const NodeId p = tree.parent(v);
      if (p >= 0 && --waiting[static_cast<std::size_t>(p)] == 0) {
        ready[static_cast<std::size_t>(p)] = 1;
        enqueue(p);
      }
    }
  }
  const ParallelReport report =
      simulate_parallel(tree, schedule.runs, processors, schedule.start_order);
  schedule.makespan = report.makespan;
  schedule.peak = report.peak;
  return schedule;
}

}  // namespace memsched::detail
