// The parallel event simulator of the shared-memory tree model, and makespan lower bounds.
#include "memsched/tree/parallel_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "memsched/tree/traversal.hpp"

namespace memsched {

namespace {

[[noreturn]] void fail(NodeId node, const std::string& what) {
  throw std::invalid_argument("simulate_parallel: node " + std::to_string(node) + ": " + what);
}

}  // namespace

ParallelReport simulate_parallel(const Tree& tree, const std::vector<TaskRun>& runs,
                                 std::int64_t processors, const std::vector<NodeId>& start_order) {
  const NodeId n = tree.num_nodes();
  if (processors < 1) {
    throw std::invalid_argument("simulate_parallel: processors " + std::to_string(processors) +
                                " < 1");
  }
  if (static_cast<NodeId>(runs.size()) != n) {
    throw std::invalid_argument("simulate_parallel: " + std::to_string(runs.size()) + " runs for " +
                                std::to_string(n) + " nodes");
  }
  for (NodeId i = 0; i < n; ++i) {
    const TaskRun& r = runs[static_cast<std::size_t>(i)];
    if (r.processor < 0 || r.processor >= processors) {
      fail(i, "processor " + std::to_string(r.processor) + " out of range");
    }
    if (!std::isfinite(r.start) || r.start < 0) fail(i, "bad start " + std::to_string(r.start));
    const double expected = r.start + tree.work(i);
    if (!(std::fabs(r.end - expected) <= 1e-9 * std::max(1.0, std::fabs(expected)))) {
      fail(i, "end " + std::to_string(r.end) + " != start + work " + std::to_string(expected));
    }
    const NodeId p = tree.parent(i);
    if (p >= 0 && runs[static_cast<std::size_t>(p)].start < r.end) {
      fail(p, "starts at " + std::to_string(runs[static_cast<std::size_t>(p)].start) +
                  " before its child " + std::to_string(i) + " ends at " + std::to_string(r.end));
    }
  }
  // Per processor, runs sorted by start must not overlap (a zero-work run may sit anywhere).
  std::vector<NodeId> by_proc(static_cast<std::size_t>(n));
  for (NodeId i = 0; i < n; ++i) by_proc[static_cast<std::size_t>(i)] = i;
  auto run = [&](NodeId i) -> const TaskRun& { return runs[static_cast<std::size_t>(i)]; };
  std::sort(by_proc.begin(), by_proc.end(), [&](NodeId a, NodeId b) {
    if (run(a).processor != run(b).processor) return run(a).processor < run(b).processor;
    if (run(a).start != run(b).start) return run(a).start < run(b).start;
    return run(a).end < run(b).end;
  });
  for (std::size_t k = 1; k < by_proc.size(); ++k) {
    const TaskRun& prev = run(by_proc[k - 1]);
    const TaskRun& cur = run(by_proc[k]);
    if (prev.processor == cur.processor && cur.start < prev.end) {
      fail(by_proc[k], "overlaps node " + std::to_string(by_proc[k - 1]) + " on processor " +
                           std::to_string(cur.processor));
    }
  }
  // Events: (time, phase, sequence, node). Phase 0: completion of a task of positive
  // duration; phase 1: a start, in start order (a zero-work task also ends right there).
  struct Event {
    double time;
    int phase;
    NodeId order;
    NodeId node;
    bool start;
  };
  if (!start_order.empty()) check_traversal(tree, start_order, "simulate_parallel");
  const std::vector<NodeId>& sequence = start_order.empty() ? tree.postorder() : start_order;
  std::vector<NodeId> post_position(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < sequence.size(); ++k) {
    post_position[static_cast<std::size_t>(sequence[k])] = static_cast<NodeId>(k);
  }
  std::vector<Event> events;
  events.reserve(2 * static_cast<std::size_t>(n));
  for (NodeId i = 0; i < n; ++i) {
    const TaskRun& r = run(i);
    const NodeId pos = post_position[static_cast<std::size_t>(i)];
    events.push_back({r.start, 1, pos, i, true});
    if (r.end > r.start) events.push_back({r.end, 0, pos, i, false});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.phase != b.phase) return a.phase < b.phase;
    return a.order < b.order;
  });
  ParallelReport report;
  Memory memory = 0;
  for (std::size_t k = 0; k < events.size(); ++k) {
    const Event& e = events[k];
    const NodeId v = e.node;
    if (e.start) {
      memory += tree.exec_memory(v) + tree.output_size(v);
      report.peak = std::max(report.peak, memory);
    }
    if (!e.start || run(v).end <= run(v).start) {
      memory -= tree.exec_memory(v) + tree.children_output(v);
    }
    if (k + 1 == events.size() || events[k + 1].time != e.time) {
      report.timeline.push_back({e.time, memory});
    }
    report.makespan = std::max(report.makespan, run(v).end);
  }
  return report;
}

double critical_path(const Tree& tree) {
  std::vector<double> longest(static_cast<std::size_t>(tree.num_nodes()), 0.0);
  double best = 0.0;
  for (NodeId v : tree.postorder()) {
    const double here = longest[static_cast<std::size_t>(v)] + tree.work(v);
    best = std::max(best, here);
    if (tree.parent(v) >= 0) {
      double& up = longest[static_cast<std::size_t>(tree.parent(v))];
      up = std::max(up, here);
    }
  }
  return best;
}

double makespan_lower_bound(const Tree& tree, std::int64_t processors) {
  if (processors < 1) {
    throw std::invalid_argument("makespan_lower_bound: processors " + std::to_string(processors) +
                                " < 1");
  }
  return std::max(tree.total_work() / static_cast<double>(processors), critical_path(tree));
}

double makespan_lower_bound(const Tree& tree, std::int64_t processors, Memory memory_bound) {
  if (memory_bound < 1) {
    throw std::invalid_argument("makespan_lower_bound: memory bound " +
                                std::to_string(memory_bound) + " < 1");
  }
  // While task i runs it holds at least MemReq(i) for w_i time units, all within the bound.
  double area = 0.0;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) {
    area += static_cast<double>(tree.mem_req(v)) * tree.work(v);
  }
  return std::max(makespan_lower_bound(tree, processors), area / static_cast<double>(memory_bound));
}

}  // namespace memsched
