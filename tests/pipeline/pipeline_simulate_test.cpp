// The pipeline simulator against the closed forms of GPipe, 1F1B and interleaved 1F1B.
#include "memsched/pipeline/pipeline_simulate.hpp"

#include <gtest/gtest.h>

#include <random>
#include <tuple>

namespace memsched {
namespace {

using Kind = PipelineScheduleKind;

StageProfile uniform(double f, double b, Bytes kept, Bytes grad, Bytes model) {
  return StageProfile{f, b, kept, kept, kept + grad, model};
}

class UniformGrid : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(UniformGrid, GPipeAndOneFOneBMatchClosedForms) {
  const auto [p, m] = GetParam();
  const double f = 1.0, b = 2.0;  // integers: sums are exact in doubles
  const std::vector<StageProfile> stages(static_cast<std::size_t>(p), uniform(f, b, 10, 3, 100));
  for (Kind kind : {Kind::kGPipe, Kind::kOneFOneB}) {
    std::vector<PipelineEvent> events;
    const PipelineReport r = simulate_pipeline(stages, {p, m, kind, 1}, &events);
    EXPECT_EQ(r.iteration_time, (m + p - 1) * (f + b)) << to_string(kind);
    EXPECT_NEAR(r.bubble_fraction, double(p - 1) / double(m + p - 1), 1e-12);
    EXPECT_EQ(events.size(), static_cast<std::size_t>(2 * p * m));
    for (int s = 0; s < p; ++s) {
      const std::int64_t n = in_flight_micro_batches(kind, p, s, m);
      EXPECT_EQ(r.device_max_in_flight[static_cast<std::size_t>(s)], n);
      EXPECT_EQ(n, kind == Kind::kGPipe ? m : std::min(p - s, m));
      // model + n activations + the received gradient of the one being backpropagated
      EXPECT_EQ(r.device_peak_bytes[static_cast<std::size_t>(s)], 100 + n * 10 + 3);
      EXPECT_EQ(r.device_peak_bytes[static_cast<std::size_t>(s)],
                stage_peak_bytes(stages[static_cast<std::size_t>(s)], n));
    }
  }
}

TEST_P(UniformGrid, InterleavedMatchesClosedForm) {
  const auto [p, g] = GetParam();
  const std::int64_t m = p * ((g + p - 1) / p);  // a multiple of P
  for (std::int64_t v : {1, 2, 3, 4}) {
    const double f = 1.0 * 12 / static_cast<double>(v), b = 2.0 * 12 / static_cast<double>(v);
    const std::vector<StageProfile> stages(static_cast<std::size_t>(p * v),
                                           uniform(f, b, 10, 0, 7));
    const PipelineReport r = simulate_pipeline(stages, {p, m, Kind::kInterleaved, v});
    // (m + (P−1)/v)·(t_F + t_B) with per-device totals t_F = 12, t_B = 24.
    EXPECT_NEAR(r.iteration_time, (double(m) + double(p - 1) / double(v)) * 36.0, 1e-9)
        << "P " << p << " m " << m << " v " << v;
    EXPECT_NEAR(r.bubble_fraction, double(p - 1) / double(v * m + p - 1), 1e-12);
    if (v == 1) {
      const PipelineReport o = simulate_pipeline(stages, {p, m, Kind::kOneFOneB, 1});
      EXPECT_EQ(r.iteration_time, o.iteration_time);
    }
    // Device 0 holds 2(P−1) + (v−1)P + 1 chunk activations, i.e. P·(1 + (P−1)/(P·v)) stages'
    // worth: Korthikanti et al.'s factor over non-interleaved 1F1B.
    EXPECT_EQ(r.device_max_in_flight[0], std::min(m * v, 2 * (p - 1) + (v - 1) * p + 1));
    for (std::int64_t d = 0; d < p; ++d) {
      EXPECT_EQ(r.device_peak_bytes[static_cast<std::size_t>(d)],
                7 * v + 10 * r.device_max_in_flight[static_cast<std::size_t>(d)]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PipelineSimulate, UniformGrid,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 8),
                                            ::testing::Values(1, 2, 4, 5, 8, 16, 32)));

TEST(PipelineSimulate, HeterogeneousGPipeMatchesSumPlusBottlenecks) {
  std::mt19937_64 rng(19);
  std::uniform_int_distribution<int> t(1, 9), pd(1, 6), md(1, 10);
  for (int trial = 0; trial < 300; ++trial) {
    const int p = pd(rng), m = md(rng);
    std::vector<StageProfile> stages;
    double sf = 0, sb = 0, mf = 0, mb = 0;
    for (int s = 0; s < p; ++s) {
      const double f = t(rng), b = t(rng);
      stages.push_back(uniform(f, b, 1, 0, 0));
      sf += f, sb += b, mf = std::max(mf, f), mb = std::max(mb, b);
    }
    const PipelineReport r = simulate_pipeline(stages, {p, m, Kind::kGPipe, 1});
    EXPECT_EQ(r.iteration_time, sf + (m - 1) * mf + sb + (m - 1) * mb) << "trial " << trial;
    // 1F1B: never faster than one stage's work, never slower than running everything serially.
    const PipelineReport o = simulate_pipeline(stages, {p, m, Kind::kOneFOneB, 1});
    EXPECT_GE(o.iteration_time, m * std::max(mf, mb));
    EXPECT_LE(o.iteration_time, m * (sf + sb));
  }
}

TEST(PipelineSimulate, HeterogeneousPeaksEqualTheStageFormula) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<Bytes> size(0, 50);
  for (int trial = 0; trial < 100; ++trial) {
    const int p = 1 + trial % 5, m = 1 + trial % 7;
    std::vector<StageProfile> stages;
    for (int s = 0; s < p; ++s) {
      const Bytes kept = size(rng);
      stages.push_back({1.0 + s, 2.0, kept, kept + size(rng), kept + size(rng), size(rng)});
    }
    for (Kind kind : {Kind::kGPipe, Kind::kOneFOneB}) {
      const PipelineReport r = simulate_pipeline(stages, {p, m, kind, 1});
      for (int s = 0; s < p; ++s) {
        EXPECT_EQ(r.device_peak_bytes[static_cast<std::size_t>(s)],
                  stage_peak_bytes(stages[static_cast<std::size_t>(s)],
                                   in_flight_micro_batches(kind, p, s, m)));
      }
    }
  }
}

TEST(PipelineSimulate, EventsRespectDependencies) {
  const std::vector<StageProfile> stages = {
      {1, 2, 1, 1, 1, 0}, {3, 1, 1, 1, 1, 0}, {2, 2, 1, 1, 1, 0}, {1, 4, 1, 1, 1, 0}};
  std::vector<PipelineEvent> events;
  simulate_pipeline(stages, {2, 4, Kind::kInterleaved, 2}, &events);
  ASSERT_EQ(events.size(), 32u);
  auto find = [&](std::int64_t s, std::int64_t mb, bool back) {
    for (const PipelineEvent& e : events)
      if (e.stage == s && e.micro_batch == mb && e.backward == back) return e;
    ADD_FAILURE() << "missing event";
    return PipelineEvent{};
  };
  for (std::int64_t mb = 0; mb < 4; ++mb) {
    for (std::int64_t s = 0; s < 4; ++s) {
      EXPECT_EQ(find(s, mb, false).device, s % 2);
      if (s > 0) {
        EXPECT_GE(find(s, mb, false).start, find(s - 1, mb, false).end);
      }
      if (s < 3) {
        EXPECT_GE(find(s, mb, true).start, find(s + 1, mb, true).end);
      }
      EXPECT_GE(find(s, mb, true).start, find(s, mb, false).end);
    }
  }
}

TEST(PipelineSimulate, RejectsBadInput) {
  const std::vector<StageProfile> two(2, uniform(1, 2, 1, 0, 0));
  EXPECT_THROW(simulate_pipeline(two, {3, 4, Kind::kGPipe, 1}), std::invalid_argument);
  EXPECT_THROW(simulate_pipeline(two, {2, 0, Kind::kGPipe, 1}), std::invalid_argument);
  EXPECT_THROW(simulate_pipeline(two, {2, 4, Kind::kOneFOneB, 2}), std::invalid_argument);
  EXPECT_THROW(simulate_pipeline(two, {2, 4, Kind::kInterleaved, 2}), std::invalid_argument);
  EXPECT_THROW(simulate_pipeline(two, {2, 3, Kind::kInterleaved, 1}), std::invalid_argument);
  EXPECT_THROW(simulate_pipeline(two, {2, kMaxMicroBatches + 1, Kind::kGPipe, 1}),
               std::invalid_argument);
  std::vector<StageProfile> bad = two;
  bad[1].forward_time = -1;
  EXPECT_THROW(simulate_pipeline(bad, {2, 4, Kind::kGPipe, 1}), std::invalid_argument);
  bad = two;
  bad[0].backward_peak_bytes = 0;
  EXPECT_THROW(simulate_pipeline(bad, {2, 4, Kind::kGPipe, 1}), std::invalid_argument);
  bad = two;
  bad[0].model_bytes = kMaxBytes + 1;
  EXPECT_THROW(simulate_pipeline(bad, {2, 4, Kind::kGPipe, 1}), std::invalid_argument);
  EXPECT_THROW(in_flight_micro_batches(Kind::kInterleaved, 2, 0, 4), std::invalid_argument);
  EXPECT_THROW(parse_pipeline_schedule_kind("zb"), std::invalid_argument);
  EXPECT_EQ(parse_pipeline_schedule_kind("1f1b"), Kind::kOneFOneB);
}

}  // namespace
}  // namespace memsched
