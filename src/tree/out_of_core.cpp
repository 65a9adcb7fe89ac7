// Out-of-core execution of a traversal under a memory bound, with eviction policies.
#include "memsched/tree/out_of_core.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/traversal.hpp"

namespace memsched {

namespace {

void check_bound(Memory memory_bound, const char* caller) {
  if (memory_bound < 0) {
    throw std::invalid_argument(std::string(caller) + ": negative memory bound " +
                                std::to_string(memory_bound));
  }
}

}  // namespace

std::optional<OutOfCoreRun> simulate_out_of_core(const Tree& tree, const std::vector<NodeId>& order,
                                                 Memory memory_bound, EvictionPolicy policy) {
  check_bound(memory_bound, "simulate_out_of_core");
  check_traversal(tree, order, "simulate_out_of_core");
  for (NodeId v : order) {
    if (tree.mem_req(v) > memory_bound) return std::nullopt;
  }
  const auto n = static_cast<std::size_t>(tree.num_nodes());
  std::vector<std::int64_t> position(n);
  for (std::size_t k = 0; k < n; ++k)
    position[static_cast<std::size_t>(order[k])] = static_cast<std::int64_t>(k);
  // Eviction key of a resident output: larger keys are written first.
  auto key = [&](NodeId v) -> std::int64_t {
    switch (policy) {
      case EvictionPolicy::kFurthestInFuture:
        return position[static_cast<std::size_t>(tree.parent(v))];
      case EvictionPolicy::kLargestFirst:
      case EvictionPolicy::kBestFit:
        return tree.output_size(v);
    }
    return 0;
  };
  std::set<std::pair<std::int64_t, NodeId>> candidates;  // resident outputs, in memory
  std::vector<char> on_disk(n, 0);
  OutOfCoreRun run;
  Memory in_memory = 0;  // outputs held in memory
  for (NodeId v : order) {
    Memory from_disk = 0;
    for (const NodeId* c = tree.children_begin(v); c != tree.children_end(v); ++c) {
      if (on_disk[static_cast<std::size_t>(*c)]) {
        from_disk += tree.output_size(*c);
      } else {
        candidates.erase({key(*c), *c});  // v's inputs must stay
      }
    }
    Memory missing =
        in_memory + from_disk + tree.exec_memory(v) + tree.output_size(v) - memory_bound;
    while (missing > 0) {
      // Feasibility (MemReq(v) <= bound) guarantees a candidate remains while memory is missing.
      auto pick = std::prev(candidates.end());
      if (policy == EvictionPolicy::kBestFit) {
        const auto fit = candidates.lower_bound({missing, -1});
        if (fit != candidates.end()) pick = fit;
      }
      const NodeId victim = pick->second;
      candidates.erase(pick);
      on_disk[static_cast<std::size_t>(victim)] = 1;
      in_memory -= tree.output_size(victim);
      missing -= tree.output_size(victim);
      run.io_volume += tree.output_size(victim);
      ++run.num_writes;
      run.written.push_back(victim);
    }
    in_memory += from_disk;  // read back
    run.peak = std::max(run.peak, in_memory + tree.exec_memory(v) + tree.output_size(v));
    in_memory += tree.output_size(v) - tree.children_output(v);
    if (tree.parent(v) >= 0) candidates.insert({key(v), v});
  }
  return run;
}

Memory io_lower_bound(const Tree& tree, const std::vector<NodeId>& order, Memory memory_bound) {
  check_bound(memory_bound, "io_lower_bound");
  return std::max<Memory>(0, sequential_peak(tree, order) - memory_bound);
}

Memory io_lower_bound(const Tree& tree, Memory memory_bound) {
  check_bound(memory_bound, "io_lower_bound");
  return std::max<Memory>(0, liu_optimal_traversal(tree).peak - memory_bound);
}

}  // namespace memsched
