// The ZeRO / FSDP model-state calculator against the paper's 7.5B-parameter example.
#include "memsched/pipeline/zero.hpp"

#include <gtest/gtest.h>

namespace memsched {
namespace {

using S = DataParallelSharding;

TEST(ZeroMemory, MatchesThePapersExample) {
  // Rajbhandari et al. (SC 2020), Fig. 1: Ψ = 7.5B, d = 64, K = 12: 120, 31.4, 16.6, 1.9 GB.
  const std::int64_t psi = 7'500'000'000;
  EXPECT_EQ(model_state_bytes(psi, 64, S::kNone).total, 120'000'000'000);
  EXPECT_EQ(model_state_bytes(psi, 64, S::kZero1).total, 30'000'000'000 + 1'406'250'000);
  EXPECT_EQ(model_state_bytes(psi, 64, S::kZero2).total, 15'000'000'000 + 1'640'625'000);
  EXPECT_EQ(model_state_bytes(psi, 64, S::kZero3).total, 1'875'000'000);
}

TEST(ZeroMemory, FormulasOnAGrid) {
  for (std::int64_t psi : {0, 1, 7, 1000, 123457}) {
    for (std::int64_t d : {1, 2, 3, 8, 64}) {
      auto up = [d](std::int64_t b) { return (b + d - 1) / d; };
      EXPECT_EQ(model_state_bytes(psi, d, S::kNone).total, 16 * psi);
      EXPECT_EQ(model_state_bytes(psi, d, S::kZero1).total, 4 * psi + up(12 * psi));
      EXPECT_EQ(model_state_bytes(psi, d, S::kZero2).total, 2 * psi + up(2 * psi) + up(12 * psi));
      const ModelStateBytes z3 = model_state_bytes(psi, d, S::kZero3);
      EXPECT_EQ(z3.total, up(2 * psi) + up(2 * psi) + up(12 * psi));
      EXPECT_EQ(z3.total, z3.parameters + z3.gradients + z3.optimizer);
      if (d == 1) {
        EXPECT_EQ(z3.total, 16 * psi);  // one replica: nothing to shard
      }
    }
  }
  StateBytesPerParameter sgd{4, 4, 0};
  EXPECT_EQ(model_state_bytes(10, 2, S::kZero2, sgd).total, 40 + 20);
}

TEST(ZeroMemory, RejectsBadInput) {
  EXPECT_THROW(model_state_bytes(-1, 2, S::kZero1), std::invalid_argument);
  EXPECT_THROW(model_state_bytes(1, 0, S::kZero1), std::invalid_argument);
  EXPECT_THROW(model_state_bytes(std::int64_t{1} << 60, 2, S::kZero1), std::invalid_argument);
  EXPECT_THROW(model_state_bytes(1, 2, S::kZero1, {2, 2, 65}), std::invalid_argument);
  EXPECT_THROW(parse_data_parallel_sharding("zero4"), std::invalid_argument);
  EXPECT_EQ(parse_data_parallel_sharding("fsdp"), S::kZero3);
  EXPECT_EQ(parse_data_parallel_sharding("ddp"), S::kNone);
}

}  // namespace
}  // namespace memsched
