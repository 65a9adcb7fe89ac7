// Tests of the random call-tree generator: determinism, pre-order numbering and bad options.
#include "memsched/calltree/generate.hpp"

#include <gtest/gtest.h>

#include <string>

#include "examples.hpp"
#include "memsched/calltree/io.hpp"

namespace memsched {
namespace {

using test::json_text;

TEST(CallTreeGenerate, DeterministicAndPreOrder) {
  RandomCallTreeOptions options;
  options.num_calls = 500;
  options.seed = 42;
  options.pin_percent = 10;
  const CallTree a = random_calltree(options);
  const CallTree b = random_calltree(options);
  EXPECT_EQ(json_text(a), json_text(b));
  // Writing and reading back keeps the numbering: the generator numbers calls in pre-order.
  const CallTree c = read_calltree_json(json_text(a));
  for (CallIndex v = 0; v < a.num_calls(); ++v) {
    EXPECT_EQ(c.call(v).name, "c" + std::to_string(v));
    EXPECT_EQ(c.call(v).parent, a.call(v).parent);
  }
  options.seed = 43;
  EXPECT_NE(json_text(random_calltree(options)), json_text(a));
  CallIndex deepest = 0;
  for (CallIndex v = 0; v < a.num_calls(); ++v) deepest = std::max(deepest, a.depth(v));
  EXPECT_GT(deepest, 5);
  EXPECT_GT(a.num_children(0), 0);
}

TEST(CallTreeGenerate, RejectsBadOptions) {
  RandomCallTreeOptions options;
  options.num_calls = 0;
  EXPECT_THROW(random_calltree(options), std::invalid_argument);
  options.num_calls = 3;
  options.pin_percent = 101;
  EXPECT_THROW(random_calltree(options), std::invalid_argument);
  options.pin_percent = 0;
  options.max_time = 0;
  EXPECT_THROW(random_calltree(options), std::invalid_argument);
}

}  // namespace
}  // namespace memsched
