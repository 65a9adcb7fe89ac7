// The parallel tree schedulers by name (see registry.hpp).
#include "memsched/tree/registry.hpp"

#include <stdexcept>
#include <utility>

#include "memsched/tree/list_scheduling.hpp"
#include "memsched/tree/memory_bounded.hpp"
#include "memsched/tree/optimal_traversal.hpp"
#include "memsched/tree/traversal.hpp"

namespace memsched {

namespace {

std::vector<NodeId> activation_order(const Tree& tree, const TreeSchedulerOptions& options) {
  return options.activation_order ? *options.activation_order : liu_optimal_traversal(tree).order;
}

// A scheduler without memory bound.
TreeSchedulerInfo unbounded(std::string name, std::string function_name, std::string summary,
                            ParallelSchedule (*function)(const Tree&, std::int64_t)) {
  TreeSchedulerInfo info;
  info.name = std::move(name);
  info.function_name = std::move(function_name);
  info.summary = std::move(summary);
  info.schedule = [function](const Tree& tree, std::int64_t processors,
                             const TreeSchedulerOptions&) -> std::optional<ParallelSchedule> {
    return function(tree, processors);
  };
  return info;
}

std::vector<TreeSchedulerInfo> make_schedulers() {
  std::vector<TreeSchedulerInfo> list;
  {
    TreeSchedulerInfo info;
    info.name = "memory-bounded";
    info.function_name = "memory_bounded_schedule";
    info.summary = "list scheduling with an activation gate that never exceeds the bound";
    info.memory_bounded = true;
    info.schedule = [](const Tree& tree, std::int64_t processors,
                       const TreeSchedulerOptions& options) {
      MemoryBoundedOptions bounded;
      bounded.activation_order = activation_order(tree, options);
      const Memory bound =
          options.memory ? *options.memory : sequential_peak(tree, bounded.activation_order);
      return memory_bounded_schedule(tree, processors, bound, bounded);
    };
    info.default_memory = [](const Tree& tree, const TreeSchedulerOptions& options) {
      return sequential_peak(tree, activation_order(tree, options));
    };
    info.default_memory_name = "the activation order";
    list.push_back(std::move(info));
  }
  list.push_back(unbounded("inner-first", "par_inner_first",
                           "ready inner nodes before leaves, in the optimal traversal's order",
                           &par_inner_first));
  list.push_back(unbounded("deepest-first", "par_deepest_first",
                           "ready tasks by weighted depth (critical path first)",
                           &par_deepest_first));
  list.push_back(unbounded("subtrees", "par_subtrees",
                           "the p heaviest subtrees one per processor, the rest after",
                           &par_subtrees));
  list.push_back(unbounded("proportional", "proportional_mapping",
                           "processors split among children by subtree work",
                           &proportional_mapping));
  list.push_back(unbounded("all-to-all", "all_to_all_mapping",
                           "every node on all processors, the optimal sequential order",
                           &all_to_all_mapping));
  {
    TreeSchedulerInfo info;
    info.name = "memory-aware";
    info.function_name = "memory_aware_mapping";
    info.summary = "proportional mapping that serialises subtrees over the memory bound";
    info.memory_bounded = true;
    info.schedule = [](const Tree& tree, std::int64_t processors,
                       const TreeSchedulerOptions& options) {
      const Memory bound = options.memory ? *options.memory : liu_optimal_traversal(tree).peak;
      return memory_aware_mapping(tree, processors, bound);
    };
    info.default_memory = [](const Tree& tree, const TreeSchedulerOptions&) {
      return liu_optimal_traversal(tree).peak;
    };
    info.default_memory_name = "the sequential optimum";
    list.push_back(std::move(info));
  }
  return list;
}

}  // namespace

const std::vector<TreeSchedulerInfo>& tree_schedulers() {
  static const std::vector<TreeSchedulerInfo> schedulers = make_schedulers();
  return schedulers;
}

const TreeSchedulerInfo& find_tree_scheduler(const std::string& name) {
  for (const TreeSchedulerInfo& info : tree_schedulers()) {
    if (info.name == name) return info;
  }
  std::string known;
  for (const TreeSchedulerInfo& info : tree_schedulers()) {
    known += (known.empty() ? "" : ", ") + info.name;
  }
  throw std::invalid_argument("find_tree_scheduler: unknown scheduler '" + name +
                              "' (known: " + known + ")");
}

}  // namespace memsched
