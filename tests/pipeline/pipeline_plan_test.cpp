// The pipeline planner against brute force over every partition and per-device choice, with
// feasibility decided by the event simulator.
#include "memsched/pipeline/pipeline_plan.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <utility>

#include "memsched/hetero/persistent.hpp"

namespace memsched {
namespace {

using Kind = PipelineScheduleKind;

// L layers with integer times in [1, 9] (exact sums) and sizes in [1, 20].
PipelineModel random_model(std::mt19937_64& rng, std::int64_t L) {
  std::uniform_int_distribution<int> time(1, 9);
  std::uniform_int_distribution<Bytes> size(1, 20);
  std::vector<Bytes> x(static_cast<std::size_t>(L + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  std::vector<Bytes> params;
  for (std::int64_t i = 0; i < L; ++i) {
    HeteroStage s;
    s.forward_time = time(rng);
    s.backward_time = time(rng);
    s.input_bytes = x[static_cast<std::size_t>(i)];
    s.tape_bytes = x[static_cast<std::size_t>(i + 1)] + size(rng);
    s.forward_tmp_bytes = size(rng) / 4;
    s.backward_tmp_bytes = size(rng) / 4;
    stages.push_back(s);
    params.push_back(size(rng));
  }
  return PipelineModel(HeteroChain(std::move(stages), {x.back(), 0.0, 0}), params);
}

TEST(PipelineProfiles, StoreAllKeepsInputAndTapes) {
  // (f, b, x, tape): three layers, loss input 1.
  const HeteroChain chain({{1, 2, 2, 3, 0, 0}, {4, 8, 1, 6, 0, 0}, {2, 4, 3, 2, 0, 0}}, {1, 0, 0});
  const std::vector<Bytes> params = {5, 6, 7};
  const StageProfile all = store_all_profile(chain, params, 0, 3);
  EXPECT_EQ(all.forward_time, 7);
  EXPECT_EQ(all.backward_time, 14);
  EXPECT_EQ(all.kept_bytes, 2 + 3 + 6 + 2);
  EXPECT_EQ(all.model_bytes, 18);
  EXPECT_EQ(std::max(all.forward_peak_bytes, all.backward_peak_bytes), chain.store_all_peak());
  // A middle segment: its loss stand-in receives the gradient of x_2 (3 bytes); sends counted.
  const StageProfile mid = store_all_profile(chain, params, 1, 2, 0.5, 0.25);
  EXPECT_EQ(mid.forward_time, 4.5);
  EXPECT_EQ(mid.backward_time, 8.25);
  EXPECT_EQ(mid.kept_bytes, 1 + 6);
  // B_1 holds x_1, the tape, the received gradient of x_2 and produces that of x_1.
  EXPECT_EQ(mid.backward_peak_bytes, 1 + 6 + 3 + 1);
  EXPECT_EQ(mid.model_bytes, 6);
  EXPECT_THROW(store_all_profile(chain, params, 2, 2), std::out_of_range);
  EXPECT_THROW(store_all_profile(chain, params, 0, 1, -1.0), std::invalid_argument);
}

TEST(PipelineProfiles, RecomputeKeepsInputAndOutputOnly) {
  const HeteroChain chain({{1, 2, 2, 3, 0, 0}, {4, 8, 1, 6, 0, 0}, {2, 4, 3, 2, 0, 0}}, {1, 0, 0});
  const std::vector<Bytes> params = {0, 0, 0};
  const auto ample = recompute_profile(chain, params, 0, 3, 1000, 100);
  ASSERT_TRUE(ample);
  EXPECT_EQ(ample->profile.kept_bytes, 2 + 1);
  EXPECT_EQ(ample->profile.forward_time, 7);
  EXPECT_EQ(ample->profile.backward_time, 7 + 14);  // the whole forward again, then backward
  // Tighter: the persistent planner recomputes more, and stays within the budget.
  const auto tight = recompute_profile(chain, params, 0, 3, 14, 100);
  ASSERT_TRUE(tight);
  EXPECT_LE(tight->profile.backward_peak_bytes, 14);
  EXPECT_GE(tight->profile.backward_time, 21);
  EXPECT_FALSE(recompute_profile(chain, params, 0, 3, 4, 100));
  EXPECT_THROW(recompute_profile(chain, params, 0, 3, 100, 0), std::invalid_argument);
}

// Brute force: every composition of L layers into P segments, every store/recompute choice per
// device; feasible when the simulated per-device peaks fit. Returns the best bottleneck and the
// smallest sum of stage times among the choices that reach it.
std::pair<double, double> brute_force(const PipelineModel& model, Kind kind, std::int64_t m,
                                      const PipelinePlanOptions& o) {
  const HeteroChain chain = micro_batch_chain(model.chain(), m);
  const std::int64_t L = chain.num_stages();
  const std::int64_t P = static_cast<std::int64_t>(o.device_budget_bytes.size());
  double best = std::numeric_limits<double>::infinity();
  double best_sum = best;
  std::vector<std::int64_t> starts;
  std::function<void(std::int64_t)> rec = [&](std::int64_t from) {
    if (static_cast<std::int64_t>(starts.size()) == P) {
      for (std::int64_t mask = 0; mask < (std::int64_t{1} << P); ++mask) {
        std::vector<StageProfile> profiles;
        bool ok = true;
        for (std::int64_t s = 0; s < P && ok; ++s) {
          const std::int64_t i = starts[static_cast<std::size_t>(s)];
          const std::int64_t j = s + 1 < P ? starts[static_cast<std::size_t>(s + 1)] : L;
          if (!(mask >> s & 1)) {
            profiles.push_back(store_all_profile(chain, model.parameter_bytes(), i, j));
            continue;
          }
          if (!o.recompute) {
            ok = false;
            break;
          }
          const std::int64_t n = in_flight_micro_batches(kind, P, s, m);
          Bytes model_bytes = 0;
          for (std::int64_t k = i; k < j; ++k) {
            model_bytes += model.parameter_bytes()[static_cast<std::size_t>(k)];
          }
          const Bytes room = o.device_budget_bytes[static_cast<std::size_t>(s)] - model_bytes -
                             (n - 1) * (chain.x(i) + chain.x(j));
          auto r = recompute_profile(chain, model.parameter_bytes(), i, j, room, o.num_units);
          if (!r) {
            ok = false;
          } else {
            profiles.push_back(r->profile);
          }
        }
        if (!ok) continue;
        const PipelineReport rep = simulate_pipeline(profiles, {P, m, kind, 1});
        double bottleneck = 0, sum = 0;
        for (std::int64_t s = 0; s < P; ++s) {
          const auto su = static_cast<std::size_t>(s);
          if (rep.device_peak_bytes[su] > o.device_budget_bytes[su]) ok = false;
          bottleneck = std::max(bottleneck, profiles[su].forward_time + profiles[su].backward_time);
          sum += profiles[su].forward_time + profiles[su].backward_time;
        }
        if (!ok) continue;
        if (bottleneck < best) {
          best = bottleneck;
          best_sum = sum;
        } else if (bottleneck == best) {
          best_sum = std::min(best_sum, sum);
        }
      }
      return;
    }
    const std::int64_t left = P - static_cast<std::int64_t>(starts.size());
    for (std::int64_t i = from; i <= L - left; ++i) {
      if (starts.empty() && i != 0) break;
      starts.push_back(i);
      rec(i + 1);
      starts.pop_back();
    }
  };
  rec(0);
  return {best, best_sum};
}

TEST(PipelinePlan, EqualsBruteForceOnRandomInstances) {
  std::mt19937_64 rng(2020);
  int feasible = 0, infeasible = 0, recomputing = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const std::int64_t L = 2 + trial % 6;
    const std::int64_t P = 1 + (trial / 6) % std::min<std::int64_t>(3, L);
    const PipelineModel model = random_model(rng, L);
    PipelinePlanOptions o;
    std::uniform_int_distribution<Bytes> budget(20, 260);
    for (std::int64_t s = 0; s < P; ++s) o.device_budget_bytes.push_back(budget(rng));
    o.recompute = trial % 5 != 0;
    o.num_units = 50;
    for (Kind kind : {Kind::kGPipe, Kind::kOneFOneB}) {
      for (std::int64_t m : {1, 2, 3}) {
        const auto [expected, expected_sum] = brute_force(model, kind, m, o);
        const auto plan = plan_partition(model, kind, m, o);
        if (expected == std::numeric_limits<double>::infinity()) {
          EXPECT_FALSE(plan) << "trial " << trial;
          ++infeasible;
          continue;
        }
        ASSERT_TRUE(plan) << "trial " << trial << " " << to_string(kind) << " m " << m;
        ++feasible;
        EXPECT_EQ(plan->bottleneck_time, expected) << "trial " << trial;
        double sum = 0;
        for (const DevicePlan& d : plan->devices) {
          sum += d.profile.forward_time + d.profile.backward_time;
        }
        EXPECT_NEAR(sum, expected_sum, 1e-9 * expected_sum) << "trial " << trial;
        std::int64_t next = 0;
        for (std::size_t s = 0; s < plan->devices.size(); ++s) {
          const DevicePlan& d = plan->devices[s];
          EXPECT_EQ(d.first_layer, next);
          EXPECT_LT(d.first_layer, d.last_layer);
          next = d.last_layer;
          EXPECT_LE(plan->report.device_peak_bytes[s], o.device_budget_bytes[s]);
          EXPECT_EQ(plan->report.device_peak_bytes[s], d.peak_bytes);
          recomputing += d.recompute ? 1 : 0;
        }
        EXPECT_EQ(next, L);
      }
    }
  }
  // The seeds exercise both outcomes and the recomputing branch.
  EXPECT_GT(feasible, 100);
  EXPECT_GT(infeasible, 20);
  EXPECT_GT(recomputing, 20);
}

TEST(PipelinePlan, PicksTheFastestSimulatedCandidate) {
  std::mt19937_64 rng(5);
  const PipelineModel model = random_model(rng, 8);
  PipelinePlanOptions o;
  o.device_budget_bytes = {400, 300, 300, 200};
  o.micro_batches = {1, 2, 4, 8};
  o.boundary_time = std::vector<double>(7, 0.5);
  const auto plan = plan_pipeline(model, o);
  ASSERT_TRUE(plan);
  for (Kind kind : o.kinds) {
    for (std::int64_t m : o.micro_batches) {
      const auto other = plan_partition(model, kind, m, o);
      if (other) {
        EXPECT_LE(plan->report.iteration_time, other->report.iteration_time);
      }
    }
  }
}

TEST(PipelinePlan, OneFOneBFitsWhereGPipeDoesNot) {
  // Uniform layers: GPipe holds m micro-batches everywhere, 1F1B at most P − s. The chain is the
  // mini-batch; an eighth of it (x 8, tape 16) is one micro-batch.
  std::vector<HeteroStage> stages(8, HeteroStage{1, 2, 64, 128, 0, 0});
  const PipelineModel model(HeteroChain(stages, {64, 0, 0}), std::vector<Bytes>(8, 10));
  PipelinePlanOptions o;
  // Per device: model 40, kept 8 + 4·16 = 72 per micro-batch, backward peak 72 + 8 + 8.
  o.device_budget_bytes = std::vector<Bytes>(2, 40 + 72 + 88);
  o.recompute = false;
  EXPECT_FALSE(plan_partition(model, Kind::kGPipe, 8, o));
  const auto plan = plan_partition(model, Kind::kOneFOneB, 8, o);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->report.device_max_in_flight[0], 2);
}

TEST(PipelinePlan, RefusesUpFrontAndRejectsBadOptions) {
  std::vector<HeteroStage> stages(2000, HeteroStage{1, 2, 8, 16, 0, 0});
  const PipelineModel big(HeteroChain(stages, {8, 0, 0}), std::vector<Bytes>(2000, 10));
  PipelinePlanOptions o;
  o.device_budget_bytes = std::vector<Bytes>(8, 1 << 20);
  try {
    plan_pipeline(big, o);
    FAIL() << "no refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("estimated"), std::string::npos) << e.what();
  }
  std::mt19937_64 rng(1);
  const PipelineModel small = random_model(rng, 3);
  PipelinePlanOptions bad;
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);  // no devices
  bad.device_budget_bytes = {100, 100, 100, 100};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);  // more devices than layers
  bad.device_budget_bytes = {100};
  bad.micro_batches = {0};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);
  bad.micro_batches = {2};
  bad.boundary_time = {1.0};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);
  bad.boundary_time = {1.0, -1.0};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);
  bad.boundary_time = {};
  bad.kinds = {Kind::kInterleaved};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);
  bad.kinds = {Kind::kGPipe};
  bad.device_budget_bytes = {-1};
  EXPECT_THROW(plan_pipeline(small, bad), std::invalid_argument);
  EXPECT_THROW(PipelineModel(small.chain(), {1, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
