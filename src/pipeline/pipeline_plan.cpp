// The pipeline partition planner: a dynamic program over contiguous segments with a
// position-dependent memory test, the persistent planner inside recomputing devices.
#include "memsched/pipeline/pipeline_plan.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

namespace memsched {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Option {
  double tau = kInf;
  DevicePlan device;
};

void validate_options(const PipelineModel& model, const PipelinePlanOptions& o) {
  const std::int64_t P = static_cast<std::int64_t>(o.device_budget_bytes.size());
  const std::int64_t L = model.num_layers();
  if (P < 1 || P > kMaxPipelineDevices) {
    throw std::invalid_argument("plan_pipeline: need 1 to " + std::to_string(kMaxPipelineDevices) +
                                " device budgets, got " + std::to_string(P));
  }
  if (L < P) {
    throw std::invalid_argument("plan_pipeline: " + std::to_string(L) + " layers cannot fill " +
                                std::to_string(P) + " devices");
  }
  for (Bytes b : o.device_budget_bytes) {
    if (b < 0 || b > kMaxBytes) {
      throw std::invalid_argument("plan_pipeline: budgets must be in [0, 2^50], got " +
                                  std::to_string(b));
    }
  }
  if (o.micro_batches.empty() || o.kinds.empty()) {
    throw std::invalid_argument("plan_pipeline: need at least one micro-batch count and schedule");
  }
  for (std::int64_t m : o.micro_batches) {
    if (m < 1 || m > kMaxMicroBatches) {
      throw std::invalid_argument("plan_pipeline: micro-batch counts must be in [1, " +
                                  std::to_string(kMaxMicroBatches) + "], got " + std::to_string(m));
    }
  }
  for (PipelineScheduleKind k : o.kinds) {
    if (k == PipelineScheduleKind::kInterleaved) {
      throw std::invalid_argument(
          "plan_pipeline: interleaved schedules are simulated, not planned");
    }
  }
  if (!o.boundary_time.empty() && static_cast<std::int64_t>(o.boundary_time.size()) != L - 1) {
    throw std::invalid_argument("plan_pipeline: boundary_time needs " + std::to_string(L - 1) +
                                " entries (one per boundary), got " +
                                std::to_string(o.boundary_time.size()));
  }
  for (double t : o.boundary_time) {
    if (!std::isfinite(t) || t < 0) {
      throw std::invalid_argument("plan_pipeline: boundary times must be finite and >= 0, got " +
                                  std::to_string(t));
    }
  }
  if (o.num_units < 1 || o.num_units > 100000) {
    throw std::invalid_argument("plan_pipeline: num_units must be in [1, 100000], got " +
                                std::to_string(o.num_units));
  }
  const double work = estimate_pipeline_work(L, o);
  if (!(work <= o.max_work)) {
    std::ostringstream msg;
    msg << "plan_pipeline: estimated " << work << " steps for " << L << " layers, " << P
        << " devices, " << o.kinds.size() * o.micro_batches.size()
        << " schedule/micro-batch candidates exceeds the limit " << o.max_work
        << " (fewer layers, candidates or units, or no recomputation)";
    throw std::invalid_argument(msg.str());
  }
}

// The fastest way to run layers [i, j) at position s within `budget`: store everything if it
// fits, else recompute with the persistent planner (which never beats storing: it runs every
// forward at least twice).
Option best_option(const HeteroChain& chain, const std::vector<Bytes>& params,
                   const PipelinePlanOptions& o, std::int64_t i, std::int64_t j, std::int64_t n,
                   std::int64_t m, Bytes budget) {
  const std::int64_t L = chain.num_stages();
  const double dm = static_cast<double>(m);
  const double send_f = (j < L && !o.boundary_time.empty())
                            ? o.boundary_time[static_cast<std::size_t>(j - 1)] / dm
                            : 0.0;
  const double send_b = (i > 0 && !o.boundary_time.empty())
                            ? o.boundary_time[static_cast<std::size_t>(i - 1)] / dm
                            : 0.0;
  Option best;
  best.device.first_layer = i;
  best.device.last_layer = j;
  best.device.in_flight = n;
  const StageProfile store = store_all_profile(chain, params, i, j, send_f, send_b);
  const Bytes store_peak = stage_peak_bytes(store, n);
  if (store_peak <= budget) {
    best.tau = store.forward_time + store.backward_time;
    best.device.profile = store;
    best.device.peak_bytes = store_peak;
    return best;
  }
  if (!o.recompute) return best;
  // Kept per micro-batch when recomputing: the stage input and its output.
  const Bytes kept = chain.x(i) + chain.x(j);
  long double model = 0;
  for (std::int64_t k = i; k < j; ++k)
    model += static_cast<long double>(params[static_cast<std::size_t>(k)]);
  const long double others = static_cast<long double>(kept) * static_cast<long double>(n - 1);
  const long double room = static_cast<long double>(budget) - model - others;
  if (room < static_cast<long double>(kept)) return best;
  std::optional<RecomputeStage> r =
      recompute_profile(chain, params, i, j, static_cast<Bytes>(room), o.num_units, send_f, send_b);
  if (!r) return best;
  const Bytes peak = stage_peak_bytes(r->profile, n);
  if (peak > budget) return best;  // the forward's own peak may not fit
  best.tau = r->profile.forward_time + r->profile.backward_time;
  best.device.recompute = true;
  best.device.backward_schedule = std::move(r->backward_schedule);
  best.device.profile = r->profile;
  best.device.peak_bytes = peak;
  return best;
}

}  // namespace

double estimate_pipeline_work(std::int64_t L, const PipelinePlanOptions& o) {
  const double P = static_cast<double>(o.device_budget_bytes.size());
  const double units = static_cast<double>(o.num_units);
  double per_candidate = 0;
  for (std::int64_t len = 1; len <= L; ++len) {
    const double l = static_cast<double>(len);
    const double segments = static_cast<double>(L - len + 1) * P;
    // a replay per segment and position, plus (with recomputation) one persistent DP
    per_candidate += segments * (4 * l + (o.recompute ? units * (l * l * l / 6 + l * l) : 0.0));
  }
  return per_candidate * static_cast<double>(o.kinds.size() * o.micro_batches.size());
}

std::optional<PipelinePlan> plan_partition(const PipelineModel& model, PipelineScheduleKind kind,
                                           std::int64_t m, const PipelinePlanOptions& o) {
  PipelinePlanOptions one = o;
  one.kinds = {kind};
  one.micro_batches = {m};
  validate_options(model, one);
  const HeteroChain chain = micro_batch_chain(model.chain(), m);
  const std::vector<Bytes>& params = model.parameter_bytes();
  const std::int64_t L = chain.num_stages();
  const std::int64_t P = static_cast<std::int64_t>(o.device_budget_bytes.size());
  // Segments [i, j) at position s; position s can only start at i >= s and must leave at least
  // one layer to each later device.
  // τ*(i, j, s) depends on the position only through its in-flight count and budget.
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, Bytes>, Option> memo;
  auto tau = [&](std::int64_t i, std::int64_t j, std::int64_t s) -> const Option& {
    const std::int64_t n = in_flight_micro_batches(kind, P, s, m);
    const Bytes budget = o.device_budget_bytes[static_cast<std::size_t>(s)];
    auto key = std::make_tuple(i, j, n, budget);
    auto it = memo.find(key);
    if (it != memo.end()) return it->second;
    return memo.emplace(key, best_option(chain, params, o, i, j, n, m, budget)).first->second;
  };
  // A lower bound on τ*(i, j, s): the segment's time without recomputation (sends included),
  // f + b over its layers; recomputing runs every forward again, so it is never faster.
  std::vector<double> prefix(static_cast<std::size_t>(L + 1), 0.0);
  for (std::int64_t k = 0; k < L; ++k) {
    const HeteroStage& st = chain.stage(k);
    prefix[static_cast<std::size_t>(k + 1)] =
        prefix[static_cast<std::size_t>(k)] + st.forward_time + st.backward_time;
  }
  auto lower_bound = [&](std::int64_t i, std::int64_t j) {
    // Rounding in the prefix sums may exceed the exact sum slightly: stay below it.
    return (prefix[static_cast<std::size_t>(j)] - prefix[static_cast<std::size_t>(i)]) *
           (1.0 - 1e-9);
  };
  // D[s][j]: best bottleneck of devices 0..s covering layers [0, j); cut[s][j] its last start.
  std::vector<std::vector<double>> D(static_cast<std::size_t>(P),
                                     std::vector<double>(static_cast<std::size_t>(L + 1), kInf));
  std::vector<std::vector<std::int64_t>> cut(
      static_cast<std::size_t>(P), std::vector<std::int64_t>(static_cast<std::size_t>(L + 1), -1));
  for (std::int64_t s = 0; s < P; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const std::int64_t j_lo = s + 1, j_hi = s + 1 == P ? L : L - (P - s - 1);
    for (std::int64_t j = (s + 1 == P ? L : j_lo); j <= j_hi; ++j) {
      const std::int64_t i_lo = s == 0 ? 0 : s, i_hi = s == 0 ? 0 : j - 1;
      // Short last segments first: they find a small bottleneck early, which prunes the rest.
      for (std::int64_t i = i_hi; i >= i_lo; --i) {
        const double before = s == 0 ? 0.0 : D[su - 1][static_cast<std::size_t>(i)];
        if (before == kInf) continue;
        double& best_j = D[su][static_cast<std::size_t>(j)];
        if (std::max(before, lower_bound(i, j)) >= best_j) continue;
        const Option& opt = tau(i, j, s);
        const double value = std::max(before, opt.tau);
        if (value < best_j) {
          best_j = value;
          cut[su][static_cast<std::size_t>(j)] = i;
        }
      }
    }
  }
  const double best = D[static_cast<std::size_t>(P - 1)][static_cast<std::size_t>(L)];
  if (best == kInf) return std::nullopt;
  // Second pass, among the partitions with that bottleneck: the smallest sum of stage times
  // (the fill and drain of the pipeline), E[s][j] = min_i E[s−1][i] + τ*(i, j, s) over stages
  // with τ* <= best. Every option it evaluates is already memoised or pruned by the bound.
  std::vector<std::vector<double>> E(static_cast<std::size_t>(P),
                                     std::vector<double>(static_cast<std::size_t>(L + 1), kInf));
  for (std::int64_t s = 0; s < P; ++s) {
    const auto su = static_cast<std::size_t>(s);
    const std::int64_t j_hi = s + 1 == P ? L : L - (P - s - 1);
    for (std::int64_t j = (s + 1 == P ? L : s + 1); j <= j_hi; ++j) {
      const std::int64_t i_lo = s == 0 ? 0 : s, i_hi = s == 0 ? 0 : j - 1;
      for (std::int64_t i = i_hi; i >= i_lo; --i) {
        const double before = s == 0 ? 0.0 : E[su - 1][static_cast<std::size_t>(i)];
        if (before == kInf || lower_bound(i, j) > best) continue;
        const Option& opt = tau(i, j, s);
        if (opt.tau > best) continue;
        const double value = before + opt.tau;
        if (value < E[su][static_cast<std::size_t>(j)]) {
          E[su][static_cast<std::size_t>(j)] = value;
          cut[su][static_cast<std::size_t>(j)] = i;
        }
      }
    }
  }
  PipelinePlan plan;
  plan.kind = kind;
  plan.micro_batches = m;
  plan.bottleneck_time = best;
  plan.devices.resize(static_cast<std::size_t>(P));
  std::int64_t j = L;
  for (std::int64_t s = P - 1; s >= 0; --s) {
    const std::int64_t i = cut[static_cast<std::size_t>(s)][static_cast<std::size_t>(j)];
    plan.devices[static_cast<std::size_t>(s)] = tau(i, j, s).device;
    j = i;
  }
  std::vector<StageProfile> profiles;
  for (const DevicePlan& d : plan.devices) profiles.push_back(d.profile);
  plan.report = simulate_pipeline(profiles, {P, m, kind, 1});
  for (std::int64_t s = 0; s < P; ++s) {
    const auto su = static_cast<std::size_t>(s);
    if (plan.report.device_peak_bytes[su] > o.device_budget_bytes[su]) {
      throw std::logic_error("plan_partition: device " + std::to_string(s) +
                             " peaks above its budget in simulation (internal error)");
    }
  }
  return plan;
}

std::optional<PipelinePlan> plan_pipeline(const PipelineModel& model,
                                          const PipelinePlanOptions& options) {
  validate_options(model, options);
  std::optional<PipelinePlan> best;
  for (PipelineScheduleKind kind : options.kinds) {
    for (std::int64_t m : options.micro_batches) {
      std::optional<PipelinePlan> plan = plan_partition(model, kind, m, options);
      if (plan && (!best || plan->report.iteration_time < best->report.iteration_time)) {
        best = std::move(plan);
      }
    }
  }
  return best;
}

}  // namespace memsched
