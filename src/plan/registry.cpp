// The table of chain planners.
#include "memsched/plan/registry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "memsched/chain/simulate.hpp"
#include "memsched/plan/binomial.hpp"
#include "memsched/plan/disk_revolve.hpp"
#include "memsched/plan/hrevolve.hpp"
#include "memsched/plan/limits.hpp"
#include "memsched/plan/mixed.hpp"
#include "memsched/plan/multistage.hpp"
#include "memsched/plan/online.hpp"
#include "memsched/plan/online_two_level.hpp"
#include "memsched/plan/periodic.hpp"
#include "memsched/plan/repeated.hpp"
#include "memsched/plan/revolve.hpp"
#include "memsched/plan/two_level.hpp"

namespace memsched {

namespace {

template <typename Stream>
std::unique_ptr<ActionStream> boxed(std::optional<Stream> stream) {
  if (!stream) return nullptr;
  return std::make_unique<Stream>(std::move(*stream));
}

constexpr Step kMixedAutoSteps = 20000;

// A stream over a schedule it owns (planners that build the whole list, such as Mixed).
class OwnedScheduleStream final : public ActionStream {
 public:
  explicit OwnedScheduleStream(Schedule schedule) : schedule_(std::move(schedule)) {}
  std::optional<Action> next() override {
    if (position_ >= schedule_.size()) return std::nullopt;
    return schedule_[position_++];
  }

 private:
  Schedule schedule_;
  std::size_t position_ = 0;
};

// The classic sqrt(n) period (Chen et al. 2016; PyTorch's checkpoint_sequential).
Step default_period(const Chain& chain) {
  return static_cast<Step>(std::ceil(std::sqrt(static_cast<double>(chain.num_steps()))));
}

std::vector<PlannerInfo> make_planners() {
  std::vector<PlannerInfo> planners;
  planners.push_back(
      {"revolve",
       "Griewank-Walther binomial checkpointing: fewest forward steps with the slots of level 0",
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return boxed(revolve(chain, platform));
       },
       [](const Chain& chain, const Platform& platform,
          const PlanOptions&) -> std::optional<double> {
         // The closed form is the promise for uniform costs and a free level 0.
         const std::int64_t slots = std::min(platform.fastest_slots(), chain.num_steps());
         if (!chain.is_uniform() || platform.num_levels() == 0 ||
             platform.level(0).write_cost != 0 || platform.level(0).read_cost != 0) {
           return std::nullopt;
         }
         const Step n = chain.num_steps();
         return chain.forward_cost(0, 1) * static_cast<double>(revolve_forward_steps(n, slots)) +
                chain.adjoint_cost(0, n);
       }});
  planners.push_back(
      {"mixed", "Maddison's mixed storage: a slot holds a state or a step's tape (n <= 10^5)",
       [](const Chain& chain, const Platform& platform,
          const PlanOptions&) -> std::unique_ptr<ActionStream> {
         std::optional<Schedule> schedule = mixed(chain, platform);
         if (!schedule) return nullptr;
         return std::make_unique<OwnedScheduleStream>(std::move(*schedule));
       },
       [](const Chain& chain, const Platform& platform,
          const PlanOptions&) -> std::optional<double> {
         if (!chain.is_uniform() || platform.num_levels() == 0 ||
             platform.level(0).write_cost != 0 || platform.level(0).read_cost != 0) {
           return std::nullopt;
         }
         const Step n = chain.num_steps();
         const auto steps = mixed_forward_steps(n, std::min(platform.fastest_slots(), n));
         if (!steps) return std::nullopt;
         return chain.forward_cost(0, 1) * static_cast<double>(*steps) + chain.adjoint_cost(0, n);
       },
       // O(n^2 s) planning: about 2 s at 20000 steps, so auto leaves it out beyond.
       kMixedAutoSteps});
  planners.push_back(
      {"periodic", "a checkpoint every --period steps (default ceil(sqrt(n))), Revolve inside",
       [](const Chain& chain, const Platform& platform, const PlanOptions& o) {
         return boxed(periodic(chain, platform, o.period.value_or(default_period(chain))));
       },
       nullptr});
  planners.push_back({"store-all", "store every state: 2n - 1 forward steps, n - 1 slots",
                      [](const Chain& chain, const Platform& platform, const PlanOptions&) {
                        return boxed(store_all(chain, platform));
                      },
                      nullptr});
  planners.push_back({"recompute-all", "keep only x_0 and recompute from it: one slot",
                      [](const Chain& chain, const Platform& platform, const PlanOptions&) {
                        return boxed(recompute_all(chain, platform));
                      },
                      nullptr});
  // Multi-level planners (docs/multilevel.md). Predicted costs are the DP values converted to
  // our convention (papers' makespan + n uf).
  planners.push_back(
      {"hrevolve",
       "optimal on every storage level with any write/read costs (corrected H-Revolve DP)",
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return boxed(hrevolve(chain, platform));
       },
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return hrevolve_cost(chain, platform);
       }});
  planners.push_back({"disk-revolve",
                      "optimal for free RAM (level 0) plus an unlimited disk (level 1), multi-read",
                      [](const Chain& chain, const Platform& platform, const PlanOptions&) {
                        return boxed(disk_revolve(chain, platform));
                      },
                      [](const Chain& chain, const Platform& platform, const PlanOptions&) {
                        return disk_revolve_cost(chain, platform);
                      }});
  planners.push_back(
      {"periodic-disk-revolve",
       "a disk checkpoint every m_X steps (m_X independent of n), 1D-Revolve inside each period",
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return boxed(periodic_disk_revolve(chain, platform));
       },
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return periodic_disk_revolve_cost(chain, platform);
       }});
  planners.push_back(
      {"multistage",
       "Revolve with RAM + disk snapshots, the most used ones in RAM (Stumm & Walther 2009)",
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return boxed(multistage(chain, platform));
       },
       nullptr});
  planners.push_back(
      {"two-level",
       "a disk checkpoint every --period steps (default ceil(sqrt(n))), Revolve in RAM inside",
       [](const Chain& chain, const Platform& platform, const PlanOptions& o) {
         return boxed(two_level(chain, platform, o.period.value_or(default_period(chain))));
       },
       nullptr});
  planners.push_back(
      {"online",
       "length revealed only after the last step: Revolve-optimal up to beta(c, 2), greedy "
       "beyond; optimal reversal of the checkpoints held",
       [](const Chain& chain, const Platform& platform, const PlanOptions&) {
         return boxed(online(chain, platform));
       },
       [](const Chain& chain, const Platform& platform,
          const PlanOptions&) -> std::optional<double> {
         // Replays the decisions (O(1) amortised each) and the reversal DP: uniform costs
         // and a free level 0 only.
         if (!chain.is_uniform() || platform.num_levels() == 0 || platform.level(0).num_slots < 1 ||
             platform.level(0).write_cost != 0 || platform.level(0).read_cost != 0) {
           return std::nullopt;
         }
         const Step n = chain.num_steps();
         OnlineCheckpointer planner(platform.level(0).num_slots);
         for (Step i = 0; i < n; ++i) planner.begin_step();
         const std::int64_t forward =
             2 * n + online_reversal_advances(planner.checkpoints(), n, planner.slots());
         return chain.forward_cost(0, 1) * static_cast<double>(forward) + chain.adjoint_cost(0, n);
       },
       0});  // not for auto: another problem on the same flags
  planners.push_back(
      {"online-two-level",
       "length revealed only after the last step: a disk checkpoint closes every --period steps "
       "(default Periodic-Disk-Revolve's m_X), online RAM checkpoints inside the current period",
       [](const Chain& chain, const Platform& platform, const PlanOptions& o) {
         return boxed(online_two_level(chain, platform, o.period));
       },
       nullptr, 0});  // not for auto: another problem on the same flags
  planners.push_back(
      {"repeated",
       "--sweeps K reverse sweeps after one forward run, checkpoints kept between them (K = 1: "
       "Revolve)",
       [](const Chain& chain, const Platform& platform, const PlanOptions& o) {
         return boxed(repeated(chain, platform, o.sweeps.value_or(1)));
       },
       [](const Chain& chain, const Platform& platform,
          const PlanOptions& o) -> std::optional<double> {
         if (!chain.is_uniform() || platform.num_levels() == 0 || platform.level(0).num_slots < 1 ||
             platform.level(0).write_cost != 0 || platform.level(0).read_cost != 0) {
           return std::nullopt;
         }
         const Step n = chain.num_steps();
         const std::int64_t sweeps = o.sweeps.value_or(1);
         const std::int64_t slots = std::min<std::int64_t>(platform.level(0).num_slots, n);
         const std::int64_t kept = best_kept_checkpoints(n, slots, sweeps);
         return chain.forward_cost(0, 1) *
                    static_cast<double>(repeated_forward_steps(n, slots, sweeps, kept)) +
                static_cast<double>(sweeps) * chain.adjoint_cost(0, n);
       },
       0});  // not for auto: another problem on the same flags
  // Every entry refuses up front what it cannot finish (limits.hpp): the schedule's table,
  // stream and checkpoints; the promised cost's table only (a closed form streams nothing).
  for (PlannerInfo& planner : planners) {
    planner.plan = [name = planner.name, plan = std::move(planner.plan)](
                       const Chain& chain, const Platform& platform, const PlanOptions& options) {
      check_plan_limits(name, chain, platform, options);
      return plan(chain, platform, options);
    };
    if (!planner.predicted_cost) continue;
    planner.predicted_cost = [name = planner.name, cost = std::move(planner.predicted_cost)](
                                 const Chain& chain, const Platform& platform,
                                 const PlanOptions& options) {
      check_plan_limits(name, chain, platform, options, false);
      return cost(chain, platform, options);
    };
  }
  return planners;
}

}  // namespace

const std::vector<PlannerInfo>& chain_planners() {
  static const std::vector<PlannerInfo> planners = make_planners();
  return planners;
}

const PlannerInfo& find_chain_planner(const std::string& name) {
  std::string known;
  for (const PlannerInfo& planner : chain_planners()) {
    if (planner.name == name) return planner;
    known += (known.empty() ? "" : ", ") + planner.name;
  }
  throw std::invalid_argument("unknown planner '" + name + "' (known: " + known + ")");
}

}  // namespace memsched

namespace memsched {

std::optional<PlannerChoice> choose_chain_planner(const Chain& chain, const Platform& platform,
                                                  const PlanOptions& options) {
  std::optional<PlannerChoice> best;
  std::vector<std::pair<std::string, double>> costs;
  std::string refusals;  // each refusal names its planner and estimate
  std::string not_tried;
  for (const PlannerInfo& planner : chain_planners()) {
    if (chain.num_steps() > planner.auto_max_steps) {
      not_tried += (not_tried.empty() ? "" : ", ") + planner.name;
      continue;
    }
    std::optional<double> cost;
    try {
      std::unique_ptr<ActionStream> stream = planner.plan(chain, platform, options);
      if (!stream) continue;
      if (planner.predicted_cost) cost = planner.predicted_cost(chain, platform, options);
      if (!cost) cost = simulate(*stream, chain, platform).cost;
    } catch (const std::length_error& e) {
      // The planner refuses a problem this large (e.g. its table would not fit).
      refusals += std::string(refusals.empty() ? "" : "; ") + e.what();
      continue;
    } catch (const std::overflow_error& e) {
      // Its estimate itself is beyond 64 bits (Revolve's closed form on ~2^62 steps).
      const std::string what = e.what();
      refusals += std::string(refusals.empty() ? "" : "; ") +
                  (what.rfind(planner.name + ":", 0) == 0 ? what : planner.name + ": " + what);
      continue;
    }
    costs.emplace_back(planner.name, *cost);
    if (!best || *cost < best->cost) best = PlannerChoice{&planner, *cost, {}};
  }
  if (!best && !refusals.empty()) {
    throw std::length_error("auto: every planner refused " + std::to_string(chain.num_steps()) +
                            " steps: " + refusals +
                            (not_tried.empty() ? "" : " (not tried by auto: " + not_tried + ")"));
  }
  if (best) {
    std::stable_sort(costs.begin(), costs.end(),
                     [](const auto& a, const auto& b) { return a.second < b.second; });
    best->costs = std::move(costs);
  }
  return best;
}

}  // namespace memsched
