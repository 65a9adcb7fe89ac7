// Out-of-core eviction against the exhaustive optimum on small seeded random DAGs: how often
// each eviction policy and the lower bound meet the least I/O for the order (a measurement
// tool, not a benchmark; docs/benchmarks.md).
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "memsched/graph/out_of_core.hpp"
#include "memsched/graph/traversal.hpp"

namespace {

using memsched::graph::Bytes;
using memsched::graph::Graph;

// n nodes, edge i -> j (i < j) with probability p, sizes 0..max_bytes, temporaries 0..max_temp.
Graph random_dag(std::mt19937_64& rng, int n, double p, Bytes max_bytes, Bytes max_temp) {
  std::uniform_int_distribution<Bytes> size(0, max_bytes), temp(0, max_temp);
  std::bernoulli_distribution edge(p);
  std::vector<memsched::graph::GraphNode> nodes;
  std::vector<memsched::graph::GraphEdge> edges;
  for (int i = 0; i < n; ++i) {
    const Bytes bytes = size(rng);
    nodes.push_back({"n" + std::to_string(i), 1.0, bytes, temp(rng)});
    for (int j = 0; j < i; ++j) {
      if (edge(rng)) edges.push_back({j, i});
    }
  }
  return Graph(std::move(nodes), edges);
}

}  // namespace

int main() {
  using namespace memsched::graph;
  std::mt19937_64 rng(2027);
  int points = 0, furthest = 0, largest = 0, bound = 0;
  double ratio_sum = 0, worst = 1;
  for (int trial = 0; trial < 2000; ++trial) {
    const Graph g = random_dag(rng, 3 + trial % 6, 0.35, 6, trial % 3 == 0 ? 2 : 0);
    const std::vector<NodeIndex> order = min_peak_heuristic(g).order;
    const Bytes peak = order_peak(g, order);
    for (Bytes m = min_out_of_core_memory(g); m < peak; ++m) {
      const Bytes best = *out_of_core_exact_io(g, order, m);
      const OutOfCorePlan f = *out_of_core_schedule(g, order, m);
      const OutOfCorePlan l =
          *out_of_core_schedule(g, order, m, GraphEvictionPolicy::kLargestFirst);
      ++points;
      furthest += f.io_bytes == best;
      largest += l.io_bytes == best;
      bound += f.lower_bound == best;
      const double ratio = static_cast<double>(f.io_bytes) / static_cast<double>(best);
      ratio_sum += ratio;
      worst = std::max(worst, ratio);
    }
  }
  std::printf("bounds below the order's peak: %d\n", points);
  std::printf("furthest next use optimal: %d (%.1f%%)\n", furthest, 100.0 * furthest / points);
  std::printf("largest first optimal:     %d (%.1f%%)\n", largest, 100.0 * largest / points);
  std::printf("lower bound = optimum:     %d (%.1f%%)\n", bound, 100.0 * bound / points);
  std::printf("furthest / optimum: mean %.3f, worst %.2f\n", ratio_sum / points, worst);
  return 0;
}
