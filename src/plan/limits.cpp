// Estimates of what a chain planning request costs, from its arguments alone, and the check
// that refuses it up front (before any table or stream is allocated).
#include "memsched/plan/limits.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "memsched/plan/binomial.hpp"
#include "memsched/plan/disk_revolve.hpp"

namespace memsched {

namespace {

double as_double(std::int64_t value) { return static_cast<double>(value); }

// n + t(n, c), Revolve's forward steps (Griewank & Walther, ACM TOMS 2000, Prop. 1). Where
// that overflows 64 bits, n (r + 1) with r the repetition number, its upper bound.
double revolve_steps(Step n, std::int64_t slots) {
  const std::int64_t c = std::min<std::int64_t>(slots, n);
  if (c < 1) return as_double(n);  // no schedule (n > 1) or nothing to do (n = 1)
  try {
    return as_double(revolve_forward_steps(n, c));
  } catch (const std::overflow_error&) {
    return as_double(n) * (as_double(repetition_number(n, c)) + 1.0);
  }
}

// Slots of a level as a count of checkpoints it can hold in a chain of n steps.
std::int64_t usable(std::int64_t slots, Step n) {
  return slots == kUnlimitedSlots ? n : std::min<std::int64_t>(slots, n);
}

// The RAM + disk model of the platform, or nullopt if it is not a RAM + disk one with a slot
// of RAM and uf > 0 (what periodic_disk_period needs).
std::optional<DiskModel> period_model(const Chain& chain, const Platform& platform) {
  try {
    const std::optional<DiskModel> model = disk_model(chain, platform, 0);
    if (!model || model->ram_slots < 1 || !(model->forward_cost > 0)) return std::nullopt;
    return model;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, value < 1e6 ? "%.0f" : "%.2g", value);
  return text;
}

}  // namespace

PlanEstimate estimate_plan(const std::string& planner, const Chain& chain, const Platform& platform,
                           const PlanOptions& options) {
  const Step n = chain.num_steps();
  const double nd = as_double(n);
  const std::int64_t c0 = platform.num_levels() == 0 ? 0 : usable(platform.level(0).num_slots, n);
  std::int64_t all_slots = 0;  // every level's slots, capped at n
  for (std::size_t k = 0; k < platform.num_levels(); ++k) {
    all_slots = std::min<std::int64_t>(n, all_slots + usable(platform.level(k).num_slots, n));
  }
  PlanEstimate e;
  // The default: no table, Revolve's optimum with every slot as a lower bound on the forward
  // steps, every slot held.
  e.streamed_steps = revolve_steps(n, all_slots) + nd;
  e.held_checkpoints = as_double(all_slots);
  const auto periodic_steps = [&](Step period, std::int64_t inner_slots) {
    const double periods = std::ceil(nd / as_double(period));
    return nd + periods * revolve_steps(period, std::max<std::int64_t>(1, inner_slots)) + nd;
  };
  if (planner == "revolve") {
    // The closed form itself: an overflow here is the request's own error.
    const std::int64_t c = std::min<std::int64_t>(c0, n);
    e.streamed_steps = (c >= 1 ? as_double(revolve_forward_steps(n, c)) : nd) + nd;
    e.held_checkpoints = as_double(c);
  } else if (planner == "repeated") {
    const double sweeps = as_double(options.sweeps.value_or(1));
    e.streamed_steps = sweeps * (revolve_steps(n, c0) + nd);
    e.held_checkpoints = as_double(c0);
  } else if (planner == "store-all") {
    e.streamed_steps = 3.0 * nd - 1.0;
    e.held_checkpoints = nd - 1.0;
  } else if (planner == "recompute-all") {
    e.streamed_steps = nd * (nd + 1.0) / 2.0 + nd;
    e.held_checkpoints = 1.0;
  } else if (planner == "periodic" || planner == "two-level") {
    const Step period = options.period.value_or(static_cast<Step>(std::ceil(std::sqrt(nd))));
    const double periods = std::ceil(nd / as_double(period));
    const std::int64_t inner = planner == "periodic" ? c0 - static_cast<std::int64_t>(periods) : c0;
    e.streamed_steps = periodic_steps(period, std::min<std::int64_t>(inner, period));
    e.held_checkpoints = periods + as_double(std::min<std::int64_t>(c0, period));
  } else if (planner == "periodic-disk-revolve" || planner == "online-two-level") {
    Step period = 0;
    if (planner == "online-two-level" && options.period) {
      period = *options.period;
    } else if (const std::optional<DiskModel> model = period_model(chain, platform)) {
      // The period search solves Disk-Revolve for m_max - 1 steps, m_max growing like c_0^2
      // (periodic_disk_period): refused on that table's own estimate before it is built.
      const PeriodSearchCost search = periodic_disk_search_cost(*model);
      e.table_operations = search.operations;
      e.table_bytes = search.bytes;
      if (search.operations > kMaxPlanOperations || search.bytes > kMaxPlanTableBytes) return e;
      period = periodic_disk_period(*model);
    }
    if (period >= 1) {
      e.held_checkpoints = std::ceil(nd / as_double(period)) + as_double(c0);
      e.table_operations += as_double(period) * as_double(period) * as_double(c0 + 1);
    }
  } else if (planner == "disk-revolve") {
    // Theta(n J + J^2) time for the proven first-segment bound J (docs/multilevel.md,
    // "Disk-Revolve in O(n J)"), two passes per row (value, then tie keys); about 80 bytes per
    // step (five rows of doubles, two of tie keys, the decisions).
    double bound = nd;
    if (const std::optional<DiskModel> model = disk_model(chain, platform, n)) {
      bound = std::min(nd, as_double(disk_revolve_segment_bound(n - 1, *model)));
    }
    e.table_operations = 2.0 * nd * bound + bound * bound;
    e.table_bytes = 80.0 * nd;
  } else if (planner == "hrevolve") {
    // Theta(n^2 sum_k c_k) time and Theta(n sum_k c_k) memory (Herrmann & Pallez, ACM TOMS
    // 2020); a level with at least n slots needs one row (docs/multilevel.md).
    // Costs that decrease from a level to a slower one need the general recurrence, whose
    // state is the vector of free slots: Theta(n^2 K prod_k (c_k + 1)).
    double rows = 0;
    double states = 1;
    bool monotone = true;
    for (std::size_t k = 0; k < platform.num_levels(); ++k) {
      const StorageLevel& level = platform.level(k);
      const std::int64_t slots = level.num_slots;
      rows += slots == kUnlimitedSlots || slots >= n ? 1.0 : as_double(slots) + 1.0;
      states *= as_double(usable(slots, n)) + 1.0;
      if (k > 0 && (level.write_cost < platform.level(k - 1).write_cost ||
                    level.read_cost < platform.level(k - 1).read_cost)) {
        monotone = false;
      }
    }
    if (!monotone) rows = static_cast<double>(platform.num_levels()) * states;
    e.table_bytes = 2.0 * 8.0 * nd * rows;
    // The split search of the monotone recurrence is pruned by bounds (docs/multilevel.md,
    // "Speed"): Θ(n^2 Σ_k c_k) in the worst case, far less where the bounds bite, by how much is
    // measured, not proven. So only what every entry costs is refused up front (one term each),
    // and the search counts its terms as it runs and stops with the same std::length_error past
    // kMaxPlanOperations (HRevolveTables::max_operations).
    e.table_operations = monotone ? nd * rows : nd * nd * rows;
  } else if (planner == "mixed") {
    // O(n^2 s) time, O(n s) table (Maddison, arXiv 2019).
    e.table_operations = nd * nd * as_double(c0 + 1);
    e.table_bytes = 16.0 * nd * as_double(c0 + 1);
    e.held_checkpoints = as_double(c0);
  } else if (planner == "online") {
    // O(c) closed-form evaluations per step, made while the stream runs (no table before the
    // first action): its work grows with the steps streamed, bounded by that limit; only level
    // 0 is used.
    e.held_checkpoints = as_double(c0);
  }
  return e;
}

void check_plan_limits(const std::string& planner, const Chain& chain, const Platform& platform,
                       const PlanOptions& options, bool streamed) {
  const PlanEstimate e = estimate_plan(planner, chain, platform, options);
  const std::string head =
      planner + ": refused before planning " + std::to_string(chain.num_steps()) + " steps: ";
  if (e.table_bytes > kMaxPlanTableBytes) {
    throw std::length_error(head + "its table would take about " +
                            number(e.table_bytes / 1048576.0) + " MiB (limit " +
                            number(kMaxPlanTableBytes / 1048576.0) + " MiB)");
  }
  if (e.table_operations > kMaxPlanOperations) {
    throw std::length_error(head + "its table would take about " + number(e.table_operations) +
                            " operations (limit " + number(kMaxPlanOperations) + ")");
  }
  if (!streamed) return;
  if (e.streamed_steps > kMaxStreamedSteps) {
    throw std::length_error(head + "its schedule would run about " + number(e.streamed_steps) +
                            " forward and adjoint steps (limit " + number(kMaxStreamedSteps) + ")");
  }
  if (e.held_checkpoints > kMaxHeldCheckpoints) {
    throw std::length_error(head + "its schedule would hold about " + number(e.held_checkpoints) +
                            " checkpoints at once (limit " + number(kMaxHeldCheckpoints) + ")");
  }
}

}  // namespace memsched
