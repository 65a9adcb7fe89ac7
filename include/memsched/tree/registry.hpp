// The parallel tree schedulers by name, for the command-line tool and the bindings: one table,
// one entry per scheduler, as plan/registry.hpp is for the chain planners.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "memsched/tree/parallel_schedule.hpp"
#include "memsched/tree/tree.hpp"

namespace memsched {

/// Parameters some schedulers take besides the tree and the processor count.
struct TreeSchedulerOptions {
  /// The total memory bound of a memory-bounded scheduler (default: its default_memory).
  std::optional<Memory> memory;
  /// memory-bounded's activation order (default: the optimal sequential traversal).
  std::optional<std::vector<NodeId>> activation_order;
};

/// One parallel tree scheduler: its name (as typed on the command line), the C++ function it
/// calls (the Python binding's name too), a one-line summary, and the function that schedules
/// (nullopt when no schedule fits the memory bound). A memory-bounded scheduler also says
/// which bound it uses when none is given, and what that bound is named in messages.
struct TreeSchedulerInfo {
  std::string name;
  std::string function_name;
  std::string summary;
  bool memory_bounded = false;
  std::function<std::optional<ParallelSchedule>(const Tree&, std::int64_t processors,
                                                const TreeSchedulerOptions&)>
      schedule;
  /// Memory-bounded schedulers: the bound used when options.memory is not set.
  std::function<Memory(const Tree&, const TreeSchedulerOptions&)> default_memory;
  /// Memory-bounded schedulers: what default_memory is ("the sequential optimum").
  std::string default_memory_name;
};

/// Every parallel tree scheduler, in a stable order (memory-bounded first, the default).
const std::vector<TreeSchedulerInfo>& tree_schedulers();

/// The scheduler called `name`; throws std::invalid_argument naming the known ones if none is.
const TreeSchedulerInfo& find_tree_scheduler(const std::string& name);

}  // namespace memsched
