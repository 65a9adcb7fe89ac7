// Tests of the StarPU adapter for graphs: the gate holds the bound on a real runtime, on the
// task graph of a tiled Cholesky factorisation and on seeded random DAGs, and never hangs.
#include "memsched/graph/starpu_run.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "memsched/graph/parallel.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"
#include "support/graph_oracle.hpp"

namespace memsched::graph {
namespace {

// The tiled right-looking Cholesky task graph of bench/graph_cholesky.py: every task writes a
// new version of one tile of `tile` bytes.
Graph cholesky(int tiles, Bytes tile) {
  std::vector<GraphNode> nodes;
  std::vector<std::pair<std::string, std::string>> edges;
  std::vector<std::vector<std::string>> current(
      static_cast<std::size_t>(tiles), std::vector<std::string>(static_cast<std::size_t>(tiles)));
  auto node = [&](const std::string& id, double time, const std::vector<std::string>& inputs) {
    nodes.push_back({id, time, tile, 0});
    for (const std::string& u : inputs) edges.push_back({u, id});
    return id;
  };
  auto at = [&](int i, int j) -> std::string& {
    return current[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  };
  for (int i = 0; i < tiles; ++i) {
    for (int j = 0; j <= i; ++j) {
      at(i, j) = node("A_" + std::to_string(i) + "_" + std::to_string(j), 0, {});
    }
  }
  for (int k = 0; k < tiles; ++k) {
    const std::string K = std::to_string(k);
    at(k, k) = node("POTRF_" + K, 1.0 / 3, {at(k, k)});
    for (int i = k + 1; i < tiles; ++i) {
      at(i, k) = node("TRSM_" + std::to_string(i) + "_" + K, 1, {at(k, k), at(i, k)});
    }
    for (int i = k + 1; i < tiles; ++i) {
      at(i, i) = node("SYRK_" + std::to_string(i) + "_" + K, 1, {at(i, k), at(i, i)});
      for (int j = k + 1; j < i; ++j) {
        at(i, j) = node("GEMM_" + std::to_string(i) + "_" + std::to_string(j) + "_" + K, 2,
                        {at(i, k), at(j, k), at(i, j)});
      }
    }
  }
  return Graph(nodes, edges);
}

TEST(GraphStarpu, CholeskyWithinTheBound) {
  if (!have_starpu_graphs()) GTEST_SKIP() << "built without StarPU";
  const Graph g = cholesky(5, 4096);
  EXPECT_EQ(g.num_nodes(), 15 + 5 + 10 + 10 + 10);
  GraphStarpuOptions options;
  options.activation_order = default_activation_order(g);
  options.memory_bound = order_peak(g, options.activation_order);
  const GraphStarpuReport gated = execute_graph_with_starpu(g, options);
  EXPECT_TRUE(gated.completed);
  EXPECT_EQ(gated.tasks_run, g.num_nodes());
  EXPECT_LE(gated.peak, options.memory_bound);
  // Without the gate every ready task runs. How much more StarPU's own run then holds depends
  // on its timing (under the sanitizers it once stayed at the bound), so that run is only
  // checked to complete; the need for the gate is shown on the simulated list schedule with the
  // same workers and no bound, which is deterministic.
  options.gate = false;
  const GraphStarpuReport free_run = execute_graph_with_starpu(g, options);
  EXPECT_TRUE(free_run.completed);
  const auto unbounded = memory_bounded_parallel(g, options.workers, kMaxTotalBytes);
  ASSERT_TRUE(unbounded.has_value());
  EXPECT_GT(unbounded->peak, options.memory_bound);
}

TEST(GraphStarpu, RandomDagsAtTheirOrdersPeak) {
  if (!have_starpu_graphs()) GTEST_SKIP() << "built without StarPU";
  std::mt19937_64 rng(1729);
  for (int trial = 0; trial < 8; ++trial) {
    const Graph g = test::random_dag(rng, 30 + 10 * trial, 0.1, 40, trial % 2 ? 10 : 0, 3);
    GraphStarpuOptions options;
    options.workers = 1 + trial % 2;  // the CI machine has 2 cores
    options.seconds_per_time = 1e-5;
    options.activation_order = trial % 2 ? g.topological_order() : min_peak_heuristic(g).order;
    options.memory_bound = order_peak(g, options.activation_order);
    const GraphStarpuReport report = execute_graph_with_starpu(g, options);
    EXPECT_TRUE(report.completed) << "trial " << trial;
    EXPECT_LE(report.peak, options.memory_bound) << "trial " << trial;
  }
}

TEST(GraphStarpu, GivesUpInsteadOfHanging) {
  const Graph g({{"a", 1, 4, 0}, {"b", 1, 4, 0}, {"c", 1, 2, 0}},
                std::vector<std::pair<std::string, std::string>>{{"a", "c"}, {"b", "c"}});
  GraphStarpuOptions options;
  options.workers = 0;
  EXPECT_THROW(execute_graph_with_starpu(g, options), std::invalid_argument);
  options.workers = 1;
  options.bytes_scale = 1e12;
  EXPECT_THROW(execute_graph_with_starpu(g, options), std::invalid_argument);
  // 5000 buffers of 2^30 bytes: each is allowed, not all at once without a gate.
  std::vector<GraphNode> big;
  for (int i = 0; i < 5000; ++i) big.push_back({"v" + std::to_string(i), 1, Bytes{1} << 30, 0});
  const Graph wide(big, std::vector<GraphEdge>{});
  options.bytes_scale = 1;
  options.gate = false;
  EXPECT_THROW(execute_graph_with_starpu(wide, options), std::invalid_argument);
  options.gate = true;
  options.memory_bound = Bytes{1} << 40;  // the gate would let 1024 of them in
  EXPECT_THROW(execute_graph_with_starpu(wide, options), std::invalid_argument);
  if (!have_starpu_graphs()) GTEST_SKIP() << "built without StarPU";
  options.bytes_scale = 1;
  options.memory_bound = 9;  // a and b (8) fit, c's output does not
  const GraphStarpuReport report = execute_graph_with_starpu(g, options);
  EXPECT_FALSE(report.completed);
  EXPECT_EQ(report.tasks_run, 2);
}

}  // namespace
}  // namespace memsched::graph
