// Tests of out-of-core runs: a hand-checked case, exhaustive optimum for fixed orders, and
// properties on seeded random trees.
#include "memsched/tree/out_of_core.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"
#include "tree/examples.hpp"

namespace memsched {
namespace {

constexpr EvictionPolicy kPolicies[] = {EvictionPolicy::kFurthestInFuture,
                                        EvictionPolicy::kLargestFirst, EvictionPolicy::kBestFit};

TEST(OutOfCore, SixNodePostOrderInFiveUnits) {
  const Tree tree = test::six_node_tree();  // A0 B1 C2 D3 E4 F5
  const std::vector<NodeId> post{5, 3, 1, 4, 2, 0};
  const auto run = simulate_out_of_core(tree, post, 5, EvictionPolicy::kFurthestInFuture);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->io_volume, 2);  // B's output goes to disk while C runs
  EXPECT_EQ(run->written, (std::vector<NodeId>{1}));
  EXPECT_EQ(run->peak, 5);
  EXPECT_EQ(io_lower_bound(tree, post, 5), 1);
  EXPECT_EQ(io_lower_bound(tree, 5), 0);
  EXPECT_EQ(
      simulate_out_of_core(tree, liu_optimal_traversal(tree).order, 5, EvictionPolicy::kBestFit)
          ->io_volume,
      0);
  EXPECT_FALSE(simulate_out_of_core(tree, post, 4, EvictionPolicy::kBestFit).has_value());
  EXPECT_THROW(simulate_out_of_core(tree, post, -1, EvictionPolicy::kBestFit),
               std::invalid_argument);
}

// Minimum I/O volume of `order` within `bound` over every choice of evicted outputs (written
// lazily, when a task does not fit, which loses nothing). Small trees only.
Memory brute_force_io(const Tree& tree, const std::vector<NodeId>& order, Memory bound) {
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  Memory best = std::numeric_limits<Memory>::max();
  std::vector<char> in_memory(n, 0), on_disk(n, 0);
  auto rec = [&](auto&& self, std::size_t step, Memory held, Memory io) -> void {
    if (io >= best) return;
    if (step == n) {
      best = io;
      return;
    }
    const NodeId v = order[step];
    Memory from_disk = 0;
    for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
      if (on_disk[static_cast<std::size_t>(*c)]) from_disk += tree.output_size(*c);
    }
    const Memory missing = held + from_disk + tree.exec_memory(v) + tree.output_size(v) - bound;
    std::vector<NodeId> candidates;
    for (std::size_t u = 0; u < n; ++u) {
      if (in_memory[u] && tree.parent(static_cast<NodeId>(u)) != v) {
        candidates.push_back(static_cast<NodeId>(u));
      }
    }
    const std::uint32_t subsets = missing > 0 ? (1u << candidates.size()) : 1u;
    for (std::uint32_t s = 0; s < subsets; ++s) {
      Memory freed = 0;
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (s >> k & 1u) freed += tree.output_size(candidates[k]);
      }
      if (freed < missing) continue;
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (s >> k & 1u) {
          in_memory[static_cast<std::size_t>(candidates[k])] = 0;
          on_disk[static_cast<std::size_t>(candidates[k])] = 1;
        }
      }
      std::vector<char> saved_children;
      for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
        saved_children.push_back(on_disk[static_cast<std::size_t>(*c)]);
        in_memory[static_cast<std::size_t>(*c)] = 0;
        on_disk[static_cast<std::size_t>(*c)] = 0;
      }
      in_memory[static_cast<std::size_t>(v)] = 1;
      self(self, step + 1, held - freed + from_disk + tree.output_size(v) - tree.children_output(v),
           io + freed);
      in_memory[static_cast<std::size_t>(v)] = 0;
      std::size_t j = 0;
      for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c, ++j) {
        on_disk[static_cast<std::size_t>(*c)] = saved_children[j];
        in_memory[static_cast<std::size_t>(*c)] = !saved_children[j];
      }
      for (std::size_t k = 0; k < candidates.size(); ++k) {
        if (s >> k & 1u) {
          in_memory[static_cast<std::size_t>(candidates[k])] = 1;
          on_disk[static_cast<std::size_t>(candidates[k])] = 0;
        }
      }
    }
  };
  rec(rec, 0, 0, 0);
  return best;
}

TEST(OutOfCore, FurthestInFutureIsOptimalForUnitOutputs) {
  int binding = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    RandomTreeOptions options;
    options.max_output = 1;
    options.max_exec = seed % 2;
    const Tree tree = random_tree(static_cast<NodeId>(5 + seed % 8), seed, options);
    // The input-order post-order: often far above the optimum, so bounds bind.
    const std::vector<NodeId>& order = tree.postorder();
    Memory need = 0;
    for (NodeId v = 0; v < tree.num_nodes(); ++v) need = std::max(need, tree.mem_req(v));
    for (Memory bound = need; bound < sequential_peak(tree, order); ++bound) {
      ++binding;
      const auto run = simulate_out_of_core(tree, order, bound, EvictionPolicy::kFurthestInFuture);
      ASSERT_TRUE(run.has_value());
      ASSERT_EQ(run->io_volume, brute_force_io(tree, order, bound)) << "seed " << seed;
    }
  }
  EXPECT_GT(binding, 20);  // the bound really forced I/O in many cases
}

TEST(OutOfCore, PoliciesAreFeasibleAndAboveTheOptimum) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    RandomTreeOptions options;
    options.max_output = 9;
    options.max_exec = seed % 3 == 0 ? 4 : 0;
    const Tree tree = random_tree(static_cast<NodeId>(3 + seed % 6), seed, options);
    const Traversal liu = liu_optimal_traversal(tree);
    Memory need = 0;
    for (NodeId v = 0; v < tree.num_nodes(); ++v) need = std::max(need, tree.mem_req(v));
    for (Memory bound = need; bound <= liu.peak; ++bound) {
      const Memory optimum = brute_force_io(tree, liu.order, bound);
      for (EvictionPolicy policy : kPolicies) {
        const auto run = simulate_out_of_core(tree, liu.order, bound, policy);
        ASSERT_TRUE(run.has_value());
        EXPECT_LE(run->peak, bound);
        EXPECT_GE(run->io_volume, optimum);
        EXPECT_GE(optimum, io_lower_bound(tree, liu.order, bound));
        if (bound == liu.peak) {
          EXPECT_EQ(run->io_volume, 0);
        }
      }
    }
    EXPECT_FALSE(simulate_out_of_core(tree, liu.order, need - 1, EvictionPolicy::kBestFit));
  }
}

TEST(OutOfCore, LargeTreeStaysWithinTheBound) {
  RandomTreeOptions options;
  options.max_output = 1000;
  options.max_exec = 200;
  const Tree tree = random_tree(50000, 11, options);
  const Traversal liu = liu_optimal_traversal(tree);
  Memory need = 0;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) need = std::max(need, tree.mem_req(v));
  const Memory bound = std::max(need, liu.peak * 3 / 4);
  ASSERT_LT(bound, liu.peak);
  for (EvictionPolicy policy : kPolicies) {
    const auto run = simulate_out_of_core(tree, liu.order, bound, policy);
    ASSERT_TRUE(run.has_value());
    EXPECT_LE(run->peak, bound);
    EXPECT_GE(run->io_volume, io_lower_bound(tree, bound));
    EXPECT_GT(run->io_volume, 0);
  }
}

}  // namespace
}  // namespace memsched
