// Benchmarks of the tree planners on seeded random trees, each next to a plain reference
// implementation of the same algorithm (so the speed-up is measured in the same run).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <vector>

#include "memsched/tree/generate.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/out_of_core.hpp"
#include "memsched/tree/postorder.hpp"
#include "memsched/tree/traversal.hpp"

namespace {

using memsched::Memory;
using memsched::NodeId;
using memsched::Tree;

// Random recursive trees (depth ~ log n), or with deep = true trees of depth ~ n/2 where
// each node's parent is one of the last three created.
const Tree& tree_of_size(NodeId n, bool deep = false) {
  static std::map<std::pair<NodeId, bool>, Tree> cache;
  auto it = cache.find({n, deep});
  if (it == cache.end()) {
    memsched::RandomTreeOptions options;
    options.max_output = 1000;
    options.max_exec = 100;
    if (deep) options.shape = memsched::RandomTreeShape::kDeep;
    it = cache.emplace(std::make_pair(n, deep), memsched::random_tree(n, 42, options)).first;
  }
  return it->second;
}

// Liu 1987 transcribed directly from docs/theory/trees.md: absolute (H, V) segments per
// subtree, each carrying its own node list, merged by scanning the children's heads.
struct PlainSegment {
  Memory hill;
  Memory valley;
  std::vector<NodeId> nodes;
};

void normalize(std::vector<PlainSegment>& out) {
  while (out.size() >= 2) {
    PlainSegment& prev = out[out.size() - 2];
    PlainSegment& last = out.back();
    if (last.hill < prev.hill && last.valley > prev.valley) break;
    prev.hill = std::max(prev.hill, last.hill);
    prev.valley = last.valley;
    prev.nodes.insert(prev.nodes.end(), last.nodes.begin(), last.nodes.end());
    out.pop_back();
  }
}

Memory plain_liu(const Tree& tree, std::vector<NodeId>& order) {
  std::vector<std::vector<PlainSegment>> schedule(static_cast<std::size_t>(tree.num_nodes()));
  for (NodeId v : tree.postorder()) {
    std::vector<PlainSegment> out;
    Memory r = 0;
    std::vector<std::size_t> next(static_cast<std::size_t>(tree.num_children(v)), 0);
    for (;;) {
      std::size_t best = next.size();
      Memory best_key = 0;
      for (std::size_t j = 0; j < next.size(); ++j) {
        const auto& s = schedule[static_cast<std::size_t>(tree.children_begin(v)[j])];
        if (next[j] == s.size()) continue;
        const Memory key = s[next[j]].hill - s[next[j]].valley;
        if (best == next.size() || key > best_key) {
          best = j;
          best_key = key;
        }
      }
      if (best == next.size()) break;
      const auto& s = schedule[static_cast<std::size_t>(tree.children_begin(v)[best])];
      const Memory base = next[best] == 0 ? 0 : s[next[best] - 1].valley;
      const PlainSegment& seg = s[next[best]++];
      out.push_back({r + seg.hill - base, r + seg.valley - base, seg.nodes});
      r += seg.valley - base;
      normalize(out);
    }
    out.push_back({r + tree.exec_memory(v) + tree.output_size(v),
                   r - tree.children_output(v) + tree.output_size(v),
                   {v}});
    normalize(out);
    for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
      schedule[static_cast<std::size_t>(*c)].clear();
      schedule[static_cast<std::size_t>(*c)].shrink_to_fit();
    }
    schedule[static_cast<std::size_t>(v)] = std::move(out);
  }
  const auto& root = schedule[static_cast<std::size_t>(tree.root())];
  order.clear();
  for (const PlainSegment& s : root) order.insert(order.end(), s.nodes.begin(), s.nodes.end());
  return root.front().hill;
}

void BM_LiuOptimalTraversal(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(memsched::liu_optimal_traversal(tree).peak);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_LiuOptimalPlainReference(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  std::vector<NodeId> order;
  for (auto _ : state) benchmark::DoNotOptimize(plain_liu(tree, order));
  // The reference must agree with the library, or the comparison means nothing.
  if (plain_liu(tree, order) != memsched::liu_optimal_traversal(tree).peak) {
    state.SkipWithError("plain reference disagrees with liu_optimal_traversal");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_LiuOptimalTraversalDeep(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0), true);
  for (auto _ : state) benchmark::DoNotOptimize(memsched::liu_optimal_traversal(tree).peak);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_LiuOptimalPlainReferenceDeep(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0), true);
  std::vector<NodeId> order;
  for (auto _ : state) benchmark::DoNotOptimize(plain_liu(tree, order));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_BestPostorder(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(memsched::best_postorder(tree).peak);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_MinMem(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(memsched::minmem_traversal(tree).peak);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_SequentialPeak(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  const std::vector<NodeId> order = memsched::liu_optimal_traversal(tree).order;
  for (auto _ : state) benchmark::DoNotOptimize(memsched::sequential_peak(tree, order));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_MemoryBoundedEightProcessors(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  const Memory bound = 2 * memsched::liu_optimal_traversal(tree).peak;
  for (auto _ : state) {
    benchmark::DoNotOptimize(memsched::memory_bounded_schedule(tree, 8, bound)->makespan);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_OutOfCoreHalfMemory(benchmark::State& state) {
  const Tree& tree = tree_of_size(state.range(0));
  const memsched::Traversal liu = memsched::liu_optimal_traversal(tree);
  Memory need = 0;
  for (NodeId v = 0; v < tree.num_nodes(); ++v) need = std::max(need, tree.mem_req(v));
  const Memory bound = std::max(need, liu.peak / 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        memsched::simulate_out_of_core(tree, liu.order, bound,
                                       memsched::EvictionPolicy::kFurthestInFuture)
            ->io_volume);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_LiuOptimalTraversal)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LiuOptimalPlainReference)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LiuOptimalTraversalDeep)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LiuOptimalPlainReferenceDeep)
    ->RangeMultiplier(10)
    ->Range(10000, 100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BestPostorder)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MinMem)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SequentialPeak)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemoryBoundedEightProcessors)
    ->RangeMultiplier(10)
    ->Range(10000, 1000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OutOfCoreHalfMemory)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
