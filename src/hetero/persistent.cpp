// plan_persistent and memory_time_curve: units, table size checks, and the top-level calls of
// the persistent dynamic program (persistent_table.cpp).
#include "memsched/hetero/persistent.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>

#include "persistent_table.hpp"

namespace memsched {

namespace {

Bytes common_divisor(const HeteroChain& chain) {
  Bytes g = 0;
  for (const HeteroStage& s : chain.stages()) {
    g = std::gcd(g, s.input_bytes);
    g = std::gcd(g, s.tape_bytes);
    g = std::gcd(g, s.forward_tmp_bytes);
    g = std::gcd(g, s.recording_tmp());
    g = std::gcd(g, s.backward_tmp_bytes);
  }
  g = std::gcd(g, chain.loss().input_bytes);
  g = std::gcd(g, chain.loss().backward_tmp_bytes);
  return g == 0 ? 1 : g;
}

void check_options(const char* function, const PersistentOptions& options) {
  if (options.num_units < 1) {
    throw std::invalid_argument(std::string(function) + ": num_units must be >= 1, got " +
                                std::to_string(options.num_units));
  }
  if (options.num_threads < 1 || options.num_threads > 256) {
    throw std::invalid_argument(std::string(function) + ": num_threads must be in [1, 256], got " +
                                std::to_string(options.num_threads));
  }
  if (options.unit_bytes < 0) {
    throw std::invalid_argument(std::string(function) + ": unit_bytes must be >= 0, got " +
                                std::to_string(options.unit_bytes));
  }
}

Bytes unit_for(const HeteroChain& chain, Bytes reference, const PersistentOptions& options) {
  if (options.unit_bytes > 0) return options.unit_bytes;
  if (options.exact) return common_divisor(chain);
  return std::max<Bytes>(1, reference / options.num_units);
}

detail::PersistentTable make_table(const char* function, const HeteroChain& chain, Bytes unit,
                                   std::int64_t max_units, const PersistentOptions& options) {
  const double bytes = detail::PersistentTable::worst_case_bytes(chain.num_stages(), max_units);
  if (bytes > static_cast<double>(options.max_table_bytes)) {
    throw std::invalid_argument(std::string(function) + ": the table for " +
                                std::to_string(chain.num_stages()) + " stages and " +
                                std::to_string(max_units) + " memory units may need " +
                                std::to_string(static_cast<std::int64_t>(bytes / 1048576.0)) +
                                " MiB, above max_table_bytes; use fewer units");
  }
  // O(M L^3) worst case: every interval (L^2 / 2 of them) scans its split points (L / 3 on
  // average) for every memory value.
  const double stages = static_cast<double>(chain.num_stages());
  const double operations = stages * stages * stages * static_cast<double>(max_units + 1) / 6.0;
  if (operations > options.max_table_operations) {
    char estimate[64];
    std::snprintf(estimate, sizeof estimate, "%.2g operations (limit %.2g)", operations,
                  options.max_table_operations);
    throw std::invalid_argument(std::string(function) + ": the table for " +
                                std::to_string(chain.num_stages()) + " stages and " +
                                std::to_string(max_units) + " memory units may need " + estimate +
                                "; use fewer units");
  }
  return detail::PersistentTable(detail::to_units(chain, unit), max_units, options.rotor_compatible,
                                 options.num_threads);
}

// Peak of the store-all schedule in units (HeteroChain::store_all_peak on rounded sizes).
std::int64_t store_all_units(const detail::UnitChain& u) {
  const std::int64_t n = u.num_stages;
  auto ix = [](std::int64_t i) { return static_cast<std::size_t>(i); };
  std::int64_t held = u.cw[0];
  std::int64_t peak = held;
  for (std::int64_t i = 0; i < n; ++i) {
    peak = std::max(peak, held + u.cbw[ix(i + 1)] + u.rt[ix(i)]);
    held += u.cbw[ix(i + 1)];
  }
  peak = std::max(peak, held + u.cw[ix(n)] + u.bt[ix(n)]);
  held += u.cw[ix(n)];
  for (std::int64_t i = n - 1; i >= 0; --i) {
    peak = std::max(peak, held + u.cw[ix(i)] + u.bt[ix(i)]);
    held += u.cw[ix(i)] - u.cw[ix(i + 1)] - u.cbw[ix(i + 1)];
  }
  return peak;
}

// With room for everything (in exact bytes) storing everything is optimal: each stage runs
// once, recording, which is minimal_makespan(). Both entry points decide this before rounding,
// which would otherwise make the DP recompute just below store_all_peak(); rotor's verbatim
// mode does not.
HeteroPlan store_all_plan(const HeteroChain& chain, Bytes unit, std::int64_t num_units) {
  HeteroPlan plan;
  const std::int64_t n = chain.num_stages();
  for (std::int64_t i = 0; i < n; ++i) plan.schedule.push_back(HeteroOp::forward_enable(i));
  plan.schedule.push_back(HeteroOp::loss(n));
  for (std::int64_t i = n - 1; i >= 0; --i) plan.schedule.push_back(HeteroOp::backward(i));
  plan.makespan = simulate(plan.schedule, chain, chain.store_all_peak()).makespan;
  plan.unit_bytes = unit;
  plan.num_units = num_units;
  return plan;
}

std::int64_t useful_units(const detail::UnitChain& u, const PersistentOptions& options) {
  std::int64_t cap = store_all_units(u);
  if (options.rotor_compatible) cap += *std::max_element(u.cw.begin(), u.cw.end());
  return cap;
}

}  // namespace

std::optional<HeteroPlan> plan_persistent(const HeteroChain& chain, Bytes budget_bytes,
                                          const PersistentOptions& options) {
  check_options("plan_persistent", options);
  if (budget_bytes < 0 || budget_bytes > kMaxBytes) {
    throw std::invalid_argument("plan_persistent: budget must be in [0, 2^50] bytes, got " +
                                std::to_string(budget_bytes));
  }
  if (budget_bytes < chain.x(0)) return std::nullopt;
  const Bytes unit = unit_for(chain, budget_bytes, options);
  if (!options.rotor_compatible && budget_bytes >= chain.store_all_peak()) {
    return store_all_plan(chain, unit, budget_bytes / unit);
  }
  const detail::UnitChain units = detail::to_units(chain, unit);
  // Beyond the store-all peak more memory buys nothing (exact checks): cap the table there.
  // rotor's conservative check (Q2) may need a little more.
  const std::int64_t max_units = std::min(budget_bytes / unit, useful_units(units, options));
  const std::int64_t free_units = max_units - units.cw[0];
  if (free_units < 0) return std::nullopt;
  const detail::PersistentTable table =
      make_table("plan_persistent", chain, unit, max_units, options);
  const double makespan = table.value(0, chain.num_stages(), free_units);
  if (!(makespan < __builtin_huge_val())) return std::nullopt;
  HeteroPlan plan;
  plan.schedule = table.schedule(free_units);
  plan.makespan = makespan;
  plan.unit_bytes = unit;
  plan.num_units = budget_bytes / unit;
  return plan;
}

std::vector<CurvePoint> memory_time_curve(const HeteroChain& chain,
                                          const PersistentOptions& options) {
  check_options("memory_time_curve", options);
  const Bytes unit = unit_for(chain, chain.store_all_peak(), options);
  const detail::UnitChain units = detail::to_units(chain, unit);
  const std::int64_t max_units = useful_units(units, options);
  const detail::PersistentTable table =
      make_table("memory_time_curve", chain, unit, max_units, options);
  std::vector<CurvePoint> curve;
  const Bytes store_all = chain.store_all_peak();
  for (std::int64_t m = units.cw[0]; m <= max_units; ++m) {
    if (!options.rotor_compatible && m * unit >= store_all) break;  // store_all_plan's range
    const double v = table.value(0, chain.num_stages(), m - units.cw[0]);
    if (v < __builtin_huge_val() && (curve.empty() || v < curve.back().makespan)) {
      curve.push_back({m * unit, v});
    }
  }
  if (!options.rotor_compatible) {
    const double v = store_all_plan(chain, unit, store_all / unit).makespan;
    if (curve.empty() || v < curve.back().makespan) curve.push_back({store_all, v});
  }
  return curve;
}

}  // namespace memsched
