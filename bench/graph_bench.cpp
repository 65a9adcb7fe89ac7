// Google Benchmark of the graph planners: the min-peak heuristic on large layered DAGs, the exact
// min-peak search and the exact rematerialization search against graph size, the greedy.
#include <benchmark/benchmark.h>

#include <random>

#include "memsched/graph/remat.hpp"
#include "memsched/graph/series_parallel.hpp"
#include "memsched/graph/traversal.hpp"

namespace {

using namespace memsched::graph;

// Layers of `width` nodes; node k of a layer reads node k of the previous layer and a random one,
// so only the last layer are sinks.
Graph layered(int num_nodes, int width, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<Bytes> size(1, 1000);
  std::uniform_int_distribution<int> pick(0, width - 1);
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  for (int v = 0; v < num_nodes; ++v) {
    nodes.push_back({std::to_string(v), 1.0, size(rng), size(rng) / 4});
    const int layer = v / width;
    if (layer == 0) continue;
    const int a = v - width, b = (layer - 1) * width + pick(rng);
    edges.push_back({a, v});
    if (b != a) edges.push_back({b, v});
  }
  return Graph(std::move(nodes), edges);
}

// A random DAG: edge i -> j (i < j) with probability p.
Graph random_dag(int n, double p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<Bytes> size(1, 100);
  std::bernoulli_distribution edge(p);
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  for (int i = 0; i < n; ++i) {
    nodes.push_back({std::to_string(i), 1.0, size(rng), 0});
    for (int j = 0; j < i; ++j) {
      if (edge(rng)) edges.push_back({j, i});
    }
  }
  return Graph(std::move(nodes), edges);
}

// Checkmate's linear training graph of n layers (2n + 1 unit nodes).
Graph linear_graph(int n) {
  const int T = 2 * n + 1;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  for (int i = 0; i < T; ++i) {
    nodes.push_back({std::to_string(i), 1.0, 1, 0});
    if (i > 0) edges.push_back({i - 1, i});
    if (T - 1 - i > i + 1) edges.push_back({i, T - 1 - i});
  }
  return Graph(std::move(nodes), edges);
}

void BM_MinPeakHeuristic(benchmark::State& state) {
  const Graph g = layered(static_cast<int>(state.range(0)), 100, 1);
  GraphTraversal t;
  for (auto _ : state) {
    t = min_peak_heuristic(g);
    benchmark::DoNotOptimize(t.peak);
  }
  state.counters["peak"] = static_cast<double>(t.peak);
  state.counters["lower_bound"] = static_cast<double>(t.lower_bound);
}
BENCHMARK(BM_MinPeakHeuristic)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_MinPeakExact(benchmark::State& state) {
  const Graph g = random_dag(static_cast<int>(state.range(0)), 0.15, 7);
  GraphTraversal t;
  for (auto _ : state) {
    t = min_peak_exact(g);
    benchmark::DoNotOptimize(t.peak);
  }
  state.counters["peak"] = static_cast<double>(t.peak);
  state.counters["heuristic_peak"] = static_cast<double>(min_peak_heuristic(g).peak);
}
BENCHMARK(BM_MinPeakExact)->DenseRange(16, 64, 16)->Unit(benchmark::kMillisecond);

void BM_RematExactLinear(benchmark::State& state) {
  const Graph g = linear_graph(static_cast<int>(state.range(0)));
  double time = 0;
  for (auto _ : state) {
    time = remat_exact(g, 4)->time;
    benchmark::DoNotOptimize(time);
  }
  state.counters["time"] = time;
}
BENCHMARK(BM_RematExactLinear)->DenseRange(4, 12, 2)->Unit(benchmark::kMillisecond);

void BM_RematGreedy(benchmark::State& state) {
  const Graph g = layered(static_cast<int>(state.range(0)), 100, 3);
  const GraphTraversal t = min_peak_heuristic(g);
  // A budget below the heuristic order's peak by state.range(1) percent.
  const Bytes budget = t.peak - t.peak * state.range(1) / 100;
  double time = 0;
  for (auto _ : state) {
    const auto plan = remat_greedy(g, budget);
    time = plan ? plan->time : -1.0;
    benchmark::DoNotOptimize(time);
  }
  state.counters["time_over_total"] = time / g.total_time();  // -1: no schedule found
}
BENCHMARK(BM_RematGreedy)
    ->Args({10000, 0})
    ->Args({10000, 5})
    ->Args({10000, 10})
    ->Args({10000, 20})
    ->Unit(benchmark::kMillisecond);

// The greedy on Checkmate's linear training graph of state.range(0) layers, with a budget of
// state.range(1) percent of the no-recomputation peak (n + 2).
void BM_RematGreedyLinear(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Graph g = linear_graph(n);
  const Bytes budget = std::max<Bytes>(3, (n + 2) * state.range(1) / 100);
  double time = 0;
  for (auto _ : state) {
    const auto plan = remat_greedy(g, budget);
    time = plan ? plan->time : -1.0;
    benchmark::DoNotOptimize(time);
  }
  state.counters["budget"] = static_cast<double>(budget);
  state.counters["time_over_total"] = time / g.total_time();  // -1: no schedule found
}
BENCHMARK(BM_RematGreedyLinear)
    ->Args({1000, 100})
    ->Args({1000, 50})
    ->Args({1000, 20})
    ->Args({1000, 10})
    ->Unit(benchmark::kMillisecond);

// A random two-terminal series-parallel graph: from s -> t, repeatedly subdivide a random edge
// or put a parallel path next to it (the generator of tests/graph/series_parallel_test.cpp).
Graph random_series_parallel(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<int, int>> pairs{{0, 1}};
  std::bernoulli_distribution series(0.5);
  for (int x = 2; x < n; ++x) {
    const auto e = std::uniform_int_distribution<std::size_t>(0, pairs.size() - 1)(rng);
    const auto [u, w] = pairs[e];
    if (series(rng)) {
      pairs[e] = {u, x};
    } else {
      pairs.push_back({u, x});
    }
    pairs.push_back({x, w});
  }
  std::uniform_int_distribution<Bytes> size(1, 1000);
  std::vector<GraphNode> nodes;
  for (int v = 0; v < n; ++v) nodes.push_back({std::to_string(v), 1.0, size(rng), size(rng) / 10});
  std::vector<GraphEdge> edges;
  for (const auto& [u, w] : pairs) edges.push_back({u, w});
  return Graph(std::move(nodes), edges);
}

void BM_MinPeakSeriesParallel(benchmark::State& state) {
  const Graph g = random_series_parallel(static_cast<int>(state.range(0)), 5);
  GraphTraversal t;
  for (auto _ : state) {
    t = min_peak_series_parallel(g);
    benchmark::DoNotOptimize(t.peak);
  }
  state.counters["peak"] = static_cast<double>(t.peak);
  state.counters["lower_bound"] = static_cast<double>(t.lower_bound);
  state.counters["optimal"] = t.optimal ? 1 : 0;
  state.counters["heuristic_peak"] = static_cast<double>(min_peak_heuristic(g).peak);
}
BENCHMARK(BM_MinPeakSeriesParallel)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
