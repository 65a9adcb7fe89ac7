// Tests of memory-bounded parallel graph schedules: the simulator's rules, the scheduler never
// above the bound and never stuck at or above its order's peak on thousands of seeded random
// DAGs (memory re-derived from the definition), makespan at least its lower bounds, p = 1.
#include "memsched/graph/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "memsched/graph/memory_svg.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

// The largest memory right after a start, from the definition: when v starts, memory holds
// bytes + temp_bytes of every node started so far and not ended, and the output of every ended
// node that is a sink or has a consumer not yet ended. A node u has ended before v starts if
// it started earlier in start_order and end(u) <= start(v).
Bytes definition_peak(const Graph& g, const GraphParallelSchedule& s) {
  const auto n = s.start_order.size();
  Bytes peak = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double now = s.runs[static_cast<std::size_t>(s.start_order[k])].start;
    std::vector<char> started(static_cast<std::size_t>(g.num_nodes()), 0),
        ended(static_cast<std::size_t>(g.num_nodes()), 0);
    for (std::size_t j = 0; j <= k; ++j) {
      const NodeIndex u = s.start_order[j];
      started[static_cast<std::size_t>(u)] = 1;
      ended[static_cast<std::size_t>(u)] =
          j < k && s.runs[static_cast<std::size_t>(u)].start + g.time(u) <= now;
    }
    Bytes memory = 0;
    for (NodeIndex u = 0; u < g.num_nodes(); ++u) {
      const auto i = static_cast<std::size_t>(u);
      if (!started[i]) continue;
      if (!ended[i]) {
        memory += g.bytes(u) + g.temp_bytes(u);
        continue;
      }
      bool live = g.is_sink(u);
      for (NodeIndex w : g.successors(u)) live = live || !ended[static_cast<std::size_t>(w)];
      if (live) memory += g.bytes(u);
    }
    peak = std::max(peak, memory);
  }
  return peak;
}

Graph diamond() {
  return Graph({{"a", 2, 4, 0}, {"b", 3, 2, 1}, {"c", 1, 3, 0}, {"d", 1, 1, 0}},
               std::vector<std::pair<std::string, std::string>>{
                   {"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}});
}

TEST(GraphParallel, SimulatorMeasuresAndChecks) {
  const Graph g = diamond();
  // a at 0 on P0 (ends 2); b at 2 on P0 (ends 5), c at 2 on P1 (ends 3); d at 5.
  const std::vector<GraphTaskRun> runs{{0, 0}, {2, 0}, {2, 1}, {5, 1}};
  const GraphParallelReport r = simulate_parallel(g, runs, 2);
  EXPECT_DOUBLE_EQ(r.makespan, 6);
  // After b and c start: a (4) + b (2 + 1) + c (3) = 10.
  EXPECT_EQ(r.peak, 10);
  EXPECT_EQ(r.timeline.back().memory, 1);  // only the sink d at the end
  // d before b ends.
  EXPECT_THROW(simulate_parallel(g, {{0, 0}, {2, 0}, {2, 1}, {4, 1}}, 2), std::invalid_argument);
  // b and c overlap on one processor.
  EXPECT_THROW(simulate_parallel(g, {{0, 0}, {2, 0}, {2, 0}, {5, 1}}, 2), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, {{0, 0}, {2, 0}, {2, 2}, {5, 1}}, 2), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, {{-1, 0}, {2, 0}, {2, 1}, {5, 1}}, 2), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, runs, 0), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, {{0, 0}}, 2), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, runs, 2, {0, 1, 1, 3}), std::invalid_argument);
  EXPECT_THROW(simulate_parallel(g, runs, 2, {0, 3, 1, 2}), std::invalid_argument);
}

TEST(GraphParallel, OneProcessorRunsTheActivationOrder) {
  std::mt19937_64 rng(61);
  for (int trial = 0; trial < 200; ++trial) {
    const Graph g = test::random_dag(rng, 4 + trial % 12, 0.3, 8, trial % 2 ? 3 : 0, 4);
    GraphParallelOptions options;
    options.activation_order = min_peak_heuristic(g).order;
    options.priority = GraphPriority::kActivationOrder;
    const Bytes peak = order_peak(g, options.activation_order);
    const auto s = memory_bounded_parallel(g, 1, peak, options);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->start_order, options.activation_order);
    EXPECT_EQ(s->peak, peak);
    EXPECT_EQ(s->activation_peak, peak);
    EXPECT_DOUBLE_EQ(s->makespan, g.total_time());
  }
}

TEST(GraphParallel, NeverAboveTheBoundNeverStuckOnRandomDags) {
  std::mt19937_64 rng(2018);
  int runs = 0, refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const int n = 2 + trial % 24;
    const Graph g =
        test::random_dag(rng, n, trial % 4 == 0 ? 0.5 : 0.15, 10, trial % 3 == 0 ? 4 : 0, 5);
    GraphParallelOptions options;
    options.activation_order = trial % 2 == 0 ? min_peak_heuristic(g).order : g.topological_order();
    options.priority =
        trial % 5 == 0 ? GraphPriority::kActivationOrder : GraphPriority::kCriticalPath;
    const Bytes peak = order_peak(g, options.activation_order);
    const std::int64_t p = 1 + trial % 5 + (trial % 7 == 0 ? 5 : 0);
    for (Bytes bound :
         {peak, peak + peak / 3, 2 * peak, peak_lower_bound(g), std::max<Bytes>(0, peak - 1)}) {
      const auto s = memory_bounded_parallel(g, p, bound, options);
      if (bound >= peak) {
        ASSERT_TRUE(s) << "stuck: trial " << trial << " p " << p << " bound " << bound;
      }
      if (!s) {
        ++refused;
        continue;
      }
      ++runs;
      const GraphParallelReport r = simulate_parallel(g, s->runs, p, s->start_order);
      ASSERT_LE(r.peak, bound) << "trial " << trial << " p " << p;
      ASSERT_EQ(definition_peak(g, *s), r.peak) << "trial " << trial;
      EXPECT_EQ(s->peak, r.peak);
      EXPECT_DOUBLE_EQ(s->makespan, r.makespan);
      EXPECT_GE(r.makespan * (1 + 1e-12), makespan_bounds(g, p, bound).lower_bound);
    }
  }
  // 6,000 runs at or above the order's peak, all complete; below it some still do.
  EXPECT_GT(runs, 6000);
  EXPECT_LT(refused, 4000);
}

TEST(GraphParallel, MoreMemoryBuysParallelism) {
  // Eight independent chains of two nodes into one sink: with room for all, 4 processors
  // finish in about a quarter of the sequential time; at the sequential peak they cannot.
  std::vector<GraphNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  nodes.push_back({"sink", 1, 1, 0});
  for (int i = 0; i < 8; ++i) {
    const std::string a = "a" + std::to_string(i), b = "b" + std::to_string(i);
    nodes.push_back({a, 10, 4, 0});
    nodes.push_back({b, 10, 1, 0});
    edges.push_back({a, b});
    edges.push_back({b, "sink"});
  }
  const Graph g(nodes, edges);
  const auto tight = memory_bounded_parallel(g, 4, min_peak_heuristic(g).peak);
  const auto loose = memory_bounded_parallel(g, 4, 1000);
  ASSERT_TRUE(tight);
  ASSERT_TRUE(loose);
  EXPECT_LT(loose->makespan, tight->makespan);
  // Critical path first: a0..a3, a4..a7, then the b's in two waves and the sink: 41, against
  // the bound max(21, 161 / 4).
  EXPECT_DOUBLE_EQ(loose->makespan, 41);
  EXPECT_DOUBLE_EQ(makespan_bounds(g, 4, 1000).lower_bound, 40.25);
}

TEST(GraphParallel, BoundsAndErrors) {
  const Graph g = diamond();
  EXPECT_DOUBLE_EQ(critical_path(g), 2 + 3 + 1);
  const MakespanBounds b = makespan_bounds(g, 2, 10);
  EXPECT_DOUBLE_EQ(b.work, 7.0 / 2);
  EXPECT_DOUBLE_EQ(b.memory_area, (4 * 2 + 3 * 3 + 3 * 1 + 1 * 1) / 10.0);
  EXPECT_DOUBLE_EQ(b.lower_bound, 6);
  EXPECT_THROW(makespan_bounds(g, 0, 10), std::invalid_argument);
  EXPECT_THROW(makespan_bounds(g, 1, -1), std::invalid_argument);
  EXPECT_THROW(memory_bounded_parallel(g, 0, 10), std::invalid_argument);
  EXPECT_THROW(memory_bounded_parallel(g, 1, -1), std::invalid_argument);
  GraphParallelOptions options;
  options.activation_order = {1, 0, 2, 3};
  EXPECT_THROW(memory_bounded_parallel(g, 2, 10, options), std::invalid_argument);
  // Below what any node needs alone, nothing can run.
  EXPECT_FALSE(memory_bounded_parallel(g, 2, 3));
  // A huge processor count is fine.
  EXPECT_TRUE(memory_bounded_parallel(g, std::int64_t{1} << 40, 100));
}

TEST(GraphMemorySvg, StepPlotWithBoundAndPeak) {
  const Graph g = diamond();
  const auto s = memory_bounded_parallel(g, 2, 12);
  ASSERT_TRUE(s);
  const GraphParallelReport r = simulate_parallel(g, s->runs, 2, s->start_order);
  std::ostringstream out;
  write_memory_svg(out, r.timeline, r.makespan, 12, "a <b> & 'c'");
  const std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<svg", 0), 0U);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("bound 12"), std::string::npos);
  EXPECT_NE(svg.find("peak " + std::to_string(r.peak)), std::string::npos);
  EXPECT_NE(svg.find("a &lt;b&gt; &amp; &apos;c&apos;"), std::string::npos);
  EXPECT_THROW(write_memory_svg(out, {}, 1.0, 0, ""), std::invalid_argument);
  EXPECT_THROW(write_memory_svg(out, r.timeline, -1.0, 0, ""), std::invalid_argument);
  // A sequential schedule's timeline: steps at one time keep the largest memory.
  GraphSimulateOptions options;
  options.record_timeline = true;
  const GraphSimulation sim = simulate(g, traversal_schedule(g, g.topological_order()), options);
  const std::vector<GraphMemorySample> samples = memory_samples(sim.timeline);
  Bytes largest = 0;
  for (const GraphMemorySample& sample : samples) largest = std::max(largest, sample.memory);
  EXPECT_EQ(largest, sim.peak);
  for (std::size_t k = 1; k < samples.size(); ++k) EXPECT_LT(samples[k - 1].time, samples[k].time);
}

}  // namespace
}  // namespace memsched::graph
