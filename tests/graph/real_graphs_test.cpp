// Tests on real forward-and-backward graphs exported by bench/graph_torch_export.py (torchvision
// ResNet-50, VGG-16, MobileNet-V2, a U-Net and a transformer encoder; batch 2, measured times and
// sizes): every planner's schedule replays within its budget.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "memsched/graph/decompose.hpp"
#include "memsched/graph/io.hpp"
#include "memsched/graph/remat.hpp"
#include "memsched/graph/series_parallel.hpp"
#include "memsched/graph/simulate.hpp"
#include "memsched/graph/traversal.hpp"

namespace memsched::graph {
namespace {

Graph load(const std::string& name) {
  return read_graph_file(std::string(MEMSCHED_GRAPH_DATA) + "/" + name + ".json");
}

TEST(RealGraphs, GreedyKeepsInputsRecomputedForAnotherInput) {
  // The block graph memsched.torch.CheckpointedModule built for six transformer encoder layers
  // (24 blocks): at these budgets the greedy once evicted, while making room for a node, an input
  // that the recomputation of its other input had brought back, and computed the node without it.
  const Graph g = load("encoder_blocks");
  for (const Bytes budget : {Bytes{16012009}, Bytes{16497221}, Bytes{16982434}, Bytes{22319770}}) {
    SCOPED_TRACE(budget);
    std::optional<RematPlan> plan;
    ASSERT_NO_THROW(plan = remat_greedy(g, budget));
    if (plan) {
      EXPECT_LE(simulate(g, plan->schedule).peak, budget);
    }
  }
}

TEST(RealGraphs, OrdersAndSchedulesReplay) {
  struct Expect {
    const char* name;
    bool series_parallel;
    bool blocks;
    bool decomposes;  // the decomposition finds a schedule at the middle budget
  };
  for (const Expect& e :
       {Expect{"resnet50", false, true, true}, Expect{"vgg16", true, true, true},
        Expect{"mobilenet_v2", false, true, true}, Expect{"unet", false, true, false},
        Expect{"transformer", false, true, true}}) {
    SCOPED_TRACE(e.name);
    const Graph g = load(e.name);
    ASSERT_EQ(g.sinks().size(), 1U);
    const GraphTraversal order = min_peak_heuristic(g);
    EXPECT_EQ(simulate(g, traversal_schedule(g, order.order)).peak, order.peak);
    ASSERT_EQ(is_series_parallel(g), e.series_parallel);
    if (e.series_parallel) {
      const GraphTraversal sp = min_peak_series_parallel(g);
      EXPECT_TRUE(sp.optimal);
      EXPECT_LE(sp.peak, order.peak);
      EXPECT_EQ(simulate(g, traversal_schedule(g, sp.order)).peak, sp.peak);
    }
    const auto blocks = block_chain(g);
    ASSERT_EQ(blocks.has_value(), e.blocks);
    const Bytes lower = peak_lower_bound(g);
    const Bytes budget = lower + (order.peak - lower) / 2;
    const auto greedy = remat_greedy(g, budget);
    ASSERT_TRUE(greedy.has_value());
    EXPECT_LE(simulate(g, greedy->schedule).peak, budget);
    if (!e.blocks) continue;
    EXPECT_GE(blocks->chain.num_stages(), 5);
    DecompositionOptions quick;
    quick.save_options = false;
    quick.max_replans = 16;
    const DecompositionResult d = remat_decomposition(g, budget, quick);
    ASSERT_EQ(d.plan.has_value(), e.decomposes);
    if (!d.plan) continue;
    const GraphSimulation sim = simulate(g, d.plan->schedule);
    EXPECT_LE(sim.peak, budget);
    EXPECT_DOUBLE_EQ(sim.compute_time, d.plan->time);
    EXPECT_GE(d.plan->time, g.total_time());
  }
}

}  // namespace
}  // namespace memsched::graph
