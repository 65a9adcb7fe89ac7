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
  std::optional<Step> period;          ///< periodic schedules: steps between checkpoints
  std::optional<std::int64_t> sweeps;  ///< repeated: reverse sweeps after one forward run (1)
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
  /// Longest chain `memsched plan auto` tries this planner on: 0 for planners that solve
  /// another problem on the same flags (online: n unknown; repeated: several sweeps), a bound
  /// for planners whose planning time grows fast (asked for by name, they still plan).
  Step auto_max_steps = kMaxSteps;
};

/// Every chain planner, in a stable order.
const std::vector<PlannerInfo>& chain_planners();

/// The planner called `name`; throws std::invalid_argument naming the known ones if none is.
const PlannerInfo& find_chain_planner(const std::string& name);

/// The cost of every planner that has a schedule for the problem, cheapest first (ties keep
/// the registry order), and the chosen one.
struct PlannerChoice {
  const PlannerInfo* planner = nullptr;
  double cost = 0.0;
  std::vector<std::pair<std::string, double>> costs;  ///< every applicable planner's cost
};

/// Picks the cheapest applicable planner ("memsched plan auto"): each planner's promised cost
/// where it makes one, otherwise the simulated cost of its schedule (O(actions) time, O(slots)
/// memory each). Planners are skipped beyond their auto_max_steps, and when they refuse the
/// size of the problem (std::length_error: a table too large; std::overflow_error: an
/// estimate beyond 64 bits). nullopt if no planner has a schedule for the problem; throws
/// std::length_error listing every refusal (each planner's name and estimate) if every planner
/// that has one refused it.
std::optional<PlannerChoice> choose_chain_planner(const Chain& chain, const Platform& platform,
                                                  const PlanOptions& options);

}  // namespace memsched
