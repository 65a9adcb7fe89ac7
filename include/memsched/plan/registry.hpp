// The chain planners by name, for the command-line tool and the bindings: one table, one
// entry per planner, so that a new planner is one new line.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

/// Parameters some planners take besides the chain and the platform.
struct PlanOptions {
  std::optional<Step> period;  ///< periodic schedules: steps between checkpoints
};

/// One planner: its name (as typed on the command line), a one-line summary, the function
/// that plans (nullptr when no schedule fits the platform), and optionally the cost the planner
/// promises (a closed form or a DP value), which `memsched plan --verify` checks against the
/// simulator.
struct PlannerInfo {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<ActionStream>(const Chain&, const Platform&, const PlanOptions&)>
      plan;
  std::function<std::optional<double>(const Chain&, const Platform&, const PlanOptions&)>
      predicted_cost;
};

/// Every chain planner, in a stable order.
const std::vector<PlannerInfo>& chain_planners();

/// The planner called `name`; throws std::invalid_argument naming the known ones if none is.
const PlannerInfo& find_chain_planner(const std::string& name);

}  // namespace memsched
