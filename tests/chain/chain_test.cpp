// Tests of Chain: validation and range costs.
#include "memsched/chain/chain.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace memsched {
namespace {

TEST(Chain, UniformCosts) {
  const Chain chain(10, 2.0, 3.0);
  EXPECT_EQ(chain.num_steps(), 10);
  EXPECT_TRUE(chain.is_uniform());
  EXPECT_EQ(chain.forward_cost(0, 10), 20.0);
  EXPECT_EQ(chain.adjoint_cost(3, 5), 6.0);
  EXPECT_EQ(chain.forward_cost(4), 2.0);
  EXPECT_EQ(Chain(kMaxSteps).forward_cost(0, kMaxSteps), static_cast<double>(kMaxSteps));
}

TEST(Chain, PerStepCosts) {
  const Chain chain({1, 2, 3}, {4, 5, 6});
  EXPECT_FALSE(chain.is_uniform());
  EXPECT_EQ(chain.forward_cost(1, 3), 5.0);
  EXPECT_EQ(chain.adjoint_cost(0, 3), 15.0);
  EXPECT_EQ(chain.adjoint_cost(2), 6.0);
  EXPECT_EQ(chain.forward_cost(2, 2), 0.0);
}

TEST(Chain, RejectsBadInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(Chain(0), std::invalid_argument);
  EXPECT_THROW(Chain(-3), std::invalid_argument);
  EXPECT_THROW(Chain(kMaxSteps + 1), std::invalid_argument);
  EXPECT_THROW(Chain(5, nan), std::invalid_argument);
  EXPECT_THROW(Chain(5, 1.0, -1.0), std::invalid_argument);
  EXPECT_THROW(Chain(5, inf), std::invalid_argument);
  EXPECT_THROW(Chain({}, {}), std::invalid_argument);
  EXPECT_THROW(Chain({1, 2}, {1}), std::invalid_argument);
  EXPECT_THROW(Chain({1, nan}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(Chain(5).forward_cost(3, 6), std::out_of_range);
  EXPECT_THROW(Chain(5).adjoint_cost(-1, 2), std::out_of_range);
  EXPECT_THROW(Chain(5).forward_cost(3, 2), std::out_of_range);
}

}  // namespace
}  // namespace memsched
